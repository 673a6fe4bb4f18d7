// `influxring anomalies [--rule R] [--since TIME] [--limit N]`: the anomalies the workers found, newest
// first (GET /admin/anomalies).
import { withAdmin } from '../admin-client.js';
import type { Command } from '../command.js';
import { ADMIN_CONNECTION_FLAGS } from '../connection.js';
import { givenStrings, positiveInteger, requirePositionals } from '../flags.js';
import { formatTable, JSON_FLAG, printedJson } from '../output.js';

interface AnomalyView {
  readonly rule: string;
  readonly series: string;
  readonly algorithm: string;
  readonly timeIso: string;
  readonly value: number;
  readonly threshold: number;
  readonly score: number;
}

const number = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(6));

export const anomaliesCommand: Command = {
  name: 'anomalies',
  summary: 'list the anomalies the workers found',
  usage: 'influxring anomalies [--rule NAME] [--since TIME] [--limit N] [--json]',
  description: [
    'Lists the anomalies the detection workers found, newest first: the rule, the curve (series key and',
    'field), the time, the value, the threshold it crossed and its score. Every anomaly is also a point',
    'of measurement `anomaly` in the anomaly database, queryable through the proxy.',
  ],
  flags: [
    { name: 'rule', kind: 'string', value: 'NAME', help: 'only this rule' },
    { name: 'since', kind: 'string', value: 'TIME', help: 'only at or after this time (RFC 3339, or milliseconds since the epoch)' },
    { name: 'limit', kind: 'string', value: 'N', help: 'at most this many (default 100)' },
    JSON_FLAG,
    ...ADMIN_CONNECTION_FLAGS,
  ],
  notes: ['Example:', '  influxring anomalies --rule web-cpu --since 2026-11-21T00:00:00Z'],
  async run(flags, context) {
    requirePositionals(flags, []);
    const limit = flags.string('limit');
    if (limit !== null) positiveInteger('limit', limit, 10_000);
    const query = new URLSearchParams(givenStrings(flags, ['rule', 'since', 'limit']));
    await withAdmin(flags, context.env, async (admin) => {
      const answer = await admin.get<{ anomalies: AnomalyView[] }>(`/admin/anomalies${query.size > 0 ? `?${query.toString()}` : ''}`);
      if (printedJson(flags, context.stdout, answer)) return;
      if (answer.anomalies.length === 0) {
        context.stdout.write('no anomalies\n');
        return;
      }
      context.stdout.write(
        formatTable(
          ['TIME', 'RULE', 'SERIES', 'ALGORITHM', 'VALUE', 'THRESHOLD', 'SCORE'],
          answer.anomalies.map((a) => [a.timeIso, a.rule, a.series, a.algorithm, number(a.value), number(a.threshold), number(a.score)]),
        ),
      );
    });
  },
};
