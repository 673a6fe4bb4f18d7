// `influxring nodes add --circle C --name N --url U`: adds a node to a circle's next ring. It gets the
// catalog, then the writes it will own; a rebalance copies the rest and moves reads to it.
import { withAdmin } from '../admin-client.js';
import type { NodeView } from '../admin-views.js';
import type { Command } from '../command.js';
import { ADMIN_CONNECTION_FLAGS } from '../connection.js';
import { givenStrings, requireFlag, requirePositionals } from '../flags.js';

export const nodesAddCommand: Command = {
  name: 'nodes add',
  summary: 'add a node to a circle (then run rebalance)',
  usage: 'influxring nodes add --circle CIRCLE --name NAME --url URL [--username USER --password PASS]',
  description: [
    "Adds an InfluxDB server to a circle's next ring. It gets the catalog (databases, retention",
    'policies), then the writes of the measurements it will own. influxring rebalance --circle CIRCLE',
    'then copies their data to it and moves reads to it.',
  ],
  flags: [
    { name: 'circle', kind: 'string', value: 'CIRCLE', help: 'the circle to add it to (required)' },
    { name: 'name', kind: 'string', value: 'NAME', help: 'its name, unique in the cluster (required)' },
    { name: 'url', kind: 'string', value: 'URL', help: 'its InfluxDB URL, e.g. http://10.0.0.7:8086 (required)' },
    { name: 'username', kind: 'string', value: 'USER', help: 'InfluxDB user the proxy authenticates as on it' },
    { name: 'password', kind: 'string', value: 'PASS', help: "that user's password" },
    ...ADMIN_CONNECTION_FLAGS,
  ],
  notes: ['Example:', '  influxring nodes add --circle circle-a --name a3 --url http://10.0.0.7:8086'],
  async run(flags, context) {
    requirePositionals(flags, []);
    const circle = requireFlag(flags, 'circle', 'the circle to add the node to');
    const body = {
      name: requireFlag(flags, 'name', "the node's name"),
      url: requireFlag(flags, 'url', "the node's InfluxDB URL"),
      ...givenStrings(flags, ['username', 'password']),
    };
    await withAdmin(flags, context.env, async (admin) => {
      const node = await admin.post<NodeView>(`/admin/circles/${encodeURIComponent(circle)}/nodes`, body);
      context.stdout.write(
        `node ${node.name} added to ${node.circle} (${node.role}); it takes the writes it will own now.\n` +
          `Copy the rest to it and move reads to it with: influxring rebalance --circle ${node.circle}\n`,
      );
    });
  },
};
