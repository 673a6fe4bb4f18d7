// `influxring nodes rm NAME`: a node leaves its circle's next ring. A node that was only joining is
// gone at once; a member stays until a rebalance has moved what it owns to the other nodes.
import { withAdmin } from '../admin-client.js';
import type { CircleView } from '../admin-views.js';
import type { Command } from '../command.js';
import { ADMIN_CONNECTION_FLAGS } from '../connection.js';
import { requirePositionals } from '../flags.js';

export const nodesRmCommand: Command = {
  name: 'nodes rm',
  summary: 'remove a node from its circle (then run rebalance)',
  usage: 'influxring nodes rm NAME',
  description: [
    "Takes the node out of its circle's next ring. A node that was only joining is gone at once. A member",
    'is leaving: it keeps serving until influxring rebalance --circle CIRCLE has moved what it owns to the',
    'other nodes; then it is gone.',
  ],
  flags: [...ADMIN_CONNECTION_FLAGS],
  notes: ['Example:', '  influxring nodes rm a3'],
  async run(flags, context) {
    const [name] = requirePositionals(flags, ['NAME']) as [string];
    await withAdmin(flags, context.env, async (admin) => {
      const circle = await admin.delete<CircleView>(`/admin/nodes/${encodeURIComponent(name)}`);
      const still = circle.nodes.find((node) => node.name === name);
      context.stdout.write(
        still === undefined
          ? `node ${name} removed from ${circle.name}\n`
          : `node ${name} is leaving ${circle.name}; move what it owns to the other nodes with: influxring rebalance --circle ${circle.name}\n`,
      );
    });
  },
};
