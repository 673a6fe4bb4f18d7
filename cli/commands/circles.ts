// `influxring circles`: every circle with its ring (members), the next ring while one is being moved
// to, and its nodes.
import { withAdmin } from '../admin-client.js';
import type { CircleList } from '../admin-views.js';
import type { Command } from '../command.js';
import { ADMIN_CONNECTION_FLAGS } from '../connection.js';
import { requirePositionals } from '../flags.js';
import { formatTable, JSON_FLAG, listCell, printedJson } from '../output.js';

export const circlesCommand: Command = {
  name: 'circles',
  summary: 'list the circles, their rings and nodes',
  usage: 'influxring circles [--json]',
  description: [
    'Lists every circle: the nodes of its ring (members), the ring it is moving to (next, while nodes join',
    'or leave; phase copy until a rebalance has copied the data, then switched), and how many of its',
    'nodes serve reads. Add a circle with influxring circles add.',
  ],
  flags: [JSON_FLAG, ...ADMIN_CONNECTION_FLAGS],
  notes: ['Example:', '  influxring circles'],
  async run(flags, context) {
    requirePositionals(flags, []);
    await withAdmin(flags, context.env, async (admin) => {
      const list = await admin.get<CircleList>('/admin/circles');
      if (printedJson(flags, context.stdout, list)) return;
      context.stdout.write(
        formatTable(
          ['CIRCLE', 'MEMBERS', 'NEXT', 'PHASE', 'ACTIVE', 'NODES'],
          list.circles.map((circle) => [
            circle.name,
            listCell(circle.members),
            listCell(circle.next),
            circle.phase ?? '-',
            `${circle.nodes.filter((node) => node.active).length}/${circle.nodes.length}`,
            listCell(circle.nodes.map((node) => node.name)),
          ]),
        ),
      );
    });
  },
};
