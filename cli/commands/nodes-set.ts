// `influxring nodes set NAME [--write-only true|false] [--maintenance true|false] ...`: marks a node
// write-only or out for maintenance (or back), or changes its URL or credentials.
import { withAdmin } from '../admin-client.js';
import type { NodeView } from '../admin-views.js';
import type { Command } from '../command.js';
import { ADMIN_CONNECTION_FLAGS } from '../connection.js';
import { usageError } from '../errors.js';
import { booleanValue, givenStrings, requirePositionals } from '../flags.js';
import { nodeLine } from './nodes.js';

export const nodesSetCommand: Command = {
  name: 'nodes set',
  summary: 'mark a node write-only or in maintenance (or back), change its URL or credentials',
  usage: 'influxring nodes set NAME [--write-only true|false] [--maintenance true|false] [--url URL] [--username USER] [--password PASS]',
  description: [
    'Changes a node. Write-only: it takes writes but serves no reads. Maintenance: it serves no reads,',
    'its writes wait in its replay buffer and it is not health-checked; set it back to false to replay',
    'them and serve reads again.',
  ],
  flags: [
    { name: 'write-only', kind: 'string', value: 'true|false', help: 'takes writes, serves no reads' },
    { name: 'maintenance', kind: 'string', value: 'true|false', help: 'out for maintenance: no reads, writes buffered' },
    { name: 'url', kind: 'string', value: 'URL', help: 'its new InfluxDB URL' },
    { name: 'username', kind: 'string', value: 'USER', help: 'InfluxDB user the proxy authenticates as on it' },
    { name: 'password', kind: 'string', value: 'PASS', help: "that user's password" },
    ...ADMIN_CONNECTION_FLAGS,
  ],
  notes: ['Example:', '  influxring nodes set a2 --maintenance true'],
  async run(flags, context) {
    const [name] = requirePositionals(flags, ['NAME']) as [string];
    const writeOnly = booleanValue(flags, 'write-only');
    const maintenance = booleanValue(flags, 'maintenance');
    const change = {
      ...(writeOnly !== null ? { writeOnly } : {}),
      ...(maintenance !== null ? { maintenance } : {}),
      ...givenStrings(flags, ['url', 'username', 'password']),
    };
    if (Object.keys(change).length === 0) throw usageError('nothing to change: give --write-only, --maintenance, --url, --username or --password');
    await withAdmin(flags, context.env, async (admin) => {
      const node = await admin.patch<NodeView>(`/admin/nodes/${encodeURIComponent(name)}`, change);
      context.stdout.write(`${nodeLine(node)}\n`);
    });
  },
};
