// `influxring circles add NAME --node name=url ...`: adds a circle (a full copy of the data on new
// nodes). Its nodes take every write at once; they serve reads after a recovery fills them, or at once
// with --filled when they already hold the data.
import { withAdmin } from '../admin-client.js';
import type { CircleView } from '../admin-views.js';
import type { Command } from '../command.js';
import { ADMIN_CONNECTION_FLAGS } from '../connection.js';
import { usageError } from '../errors.js';
import { givenStrings, requirePositionals } from '../flags.js';
import { listCell } from '../output.js';

/** `a3=http://10.0.0.7:8086` → name and URL. */
function parseNodeSpec(spec: string): { name: string; url: string } {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) throw usageError(`--node "${spec}": write NAME=URL, e.g. --node c1=http://10.0.0.7:8086`);
  return { name: spec.slice(0, eq), url: spec.slice(eq + 1) };
}

export const circlesAddCommand: Command = {
  name: 'circles add',
  summary: 'add a circle of new nodes',
  usage: 'influxring circles add NAME --node NAME=URL [--node NAME=URL]... [--filled] [--username USER --password PASS]',
  description: [
    'Adds a circle: another full copy of the data, spread over its nodes (in ring order, as given). Its',
    'nodes get the catalog first, then take every write. They serve reads once influxring recovery',
    '--circle NAME has filled them, or at once with --filled (when they already hold a full copy).',
  ],
  flags: [
    { name: 'node', kind: 'string', value: 'NAME=URL', repeated: true, help: 'a node of the circle: its name and InfluxDB URL (at least one)' },
    { name: 'filled', kind: 'boolean', help: 'the nodes already hold a full copy: serve reads at once' },
    { name: 'username', kind: 'string', value: 'USER', help: 'InfluxDB user the proxy authenticates as on these nodes' },
    { name: 'password', kind: 'string', value: 'PASS', help: "that user's password" },
    ...ADMIN_CONNECTION_FLAGS,
  ],
  notes: ['Example:', '  influxring circles add circle-c --node c1=http://10.0.0.7:8086 --node c2=http://10.0.0.8:8086'],
  async run(flags, context) {
    const [name] = requirePositionals(flags, ['NAME']) as [string];
    const specs = flags.strings('node');
    if (specs.length === 0) throw usageError('give the circle\'s nodes with --node NAME=URL (at least one)');
    const credentials = {
      ...givenStrings(flags, ['username', 'password']),
    };
    const nodes = specs.map((spec) => ({ ...parseNodeSpec(spec), ...credentials }));
    const filled = flags.boolean('filled');
    await withAdmin(flags, context.env, async (admin) => {
      const circle = await admin.post<CircleView>('/admin/circles', { name, nodes, filled });
      const names = listCell(circle.nodes.map((node) => node.name));
      context.stdout.write(
        filled
          ? `circle ${circle.name} added with nodes ${names}; they take writes and serve reads now\n`
          : `circle ${circle.name} added with nodes ${names}; they take writes now and serve reads once filled: influxring recovery --circle ${circle.name}\n`,
      );
    });
  },
};
