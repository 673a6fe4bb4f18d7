// `influxring replica --db DB --measurement M`: which node owns a measurement in every circle (and
// which will, while the ring changes).
import { withAdmin } from '../admin-client.js';
import type { ReplicaView } from '../admin-views.js';
import type { Command } from '../command.js';
import { ADMIN_CONNECTION_FLAGS } from '../connection.js';
import { requireFlag, requirePositionals } from '../flags.js';
import { formatTable, JSON_FLAG, listCell, printedJson, yesNo } from '../output.js';

export const replicaCommand: Command = {
  name: 'replica',
  summary: 'show which node holds a measurement in every circle',
  usage: 'influxring replica --db DB --measurement MEASUREMENT [--json]',
  description: [
    'Shows, per circle, the node that owns the measurement (serves its reads), the nodes its writes go',
    'to, and while the ring changes its next owner and whether a rebalance is still copying it.',
  ],
  flags: [
    { name: 'db', kind: 'string', value: 'DB', help: 'the database (required)' },
    { name: 'measurement', kind: 'string', value: 'NAME', help: 'the measurement, unescaped (required)' },
    JSON_FLAG,
    ...ADMIN_CONNECTION_FLAGS,
  ],
  notes: ['Example:', '  influxring replica --db demo --measurement cpu'],
  async run(flags, context) {
    requirePositionals(flags, []);
    const db = requireFlag(flags, 'db', 'the database');
    const measurement = requireFlag(flags, 'measurement', 'the measurement');
    await withAdmin(flags, context.env, async (admin) => {
      const replica = await admin.get<ReplicaView>(`/admin/replica?${new URLSearchParams({ db, measurement }).toString()}`);
      if (printedJson(flags, context.stdout, replica)) return;
      context.stdout.write(`${replica.db}.${replica.measurement} (shard key ${replica.shardKey}, topology version ${replica.version})\n`);
      context.stdout.write(
        formatTable(
          ['CIRCLE', 'OWNER', 'WRITES TO', 'NEXT', 'PHASE', 'COPYING'],
          replica.circles.map((c) => [c.circle, c.owner, listCell(c.writeOwners), c.next ?? '-', c.phase ?? '-', yesNo(c.copying)]),
        ),
      );
    });
  },
};
