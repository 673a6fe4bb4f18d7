// `influxring nodes`: every node of every circle — its role in the ring, its flags (write-only,
// maintenance), whether it serves reads and why not, and what is buffered for it.
import { withAdmin } from '../admin-client.js';
import type { NodeList, NodeView } from '../admin-views.js';
import type { Command } from '../command.js';
import { ADMIN_CONNECTION_FLAGS } from '../connection.js';
import { requirePositionals } from '../flags.js';
import { formatCount } from '../format.js';
import { formatTable, JSON_FLAG, printedJson, yesNo } from '../output.js';

/** `write-only, maintenance`, or `-`. */
export function nodeFlags(node: Pick<NodeView, 'writeOnly' | 'maintenance'>): string {
  const flags = [node.writeOnly ? 'write-only' : null, node.maintenance ? 'maintenance' : null].filter((flag) => flag !== null);
  return flags.length === 0 ? '-' : flags.join(', ');
}

/** One line about a node after a change: `node a2 (circle-a, member): maintenance; not active: is out for maintenance`. */
export function nodeLine(node: NodeView): string {
  const state = node.active ? 'active' : `not active: ${node.inactiveReason ?? 'unknown'}`;
  return `node ${node.name} (${node.circle}, ${node.role}): ${nodeFlags(node) === '-' ? 'no flags' : nodeFlags(node)}; ${state}`;
}

export const nodesCommand: Command = {
  name: 'nodes',
  summary: 'list the nodes of every circle',
  usage: 'influxring nodes [--json]',
  description: [
    'Lists every node: its circle, its role (member of the ring; joining or leaving while the ring',
    'changes), its flags, whether it serves reads (and why not), and the points buffered for it while',
    'it was unreachable. Change nodes with nodes add, nodes rm and nodes set.',
  ],
  flags: [JSON_FLAG, ...ADMIN_CONNECTION_FLAGS],
  notes: ['Example:', '  influxring nodes'],
  async run(flags, context) {
    requirePositionals(flags, []);
    await withAdmin(flags, context.env, async (admin) => {
      const list = await admin.get<NodeList>('/admin/nodes');
      if (printedJson(flags, context.stdout, list)) return;
      context.stdout.write(
        formatTable(
          ['NODE', 'CIRCLE', 'ROLE', 'URL', 'FLAGS', 'ACTIVE', 'BUFFERED', 'WHY NOT ACTIVE'],
          list.nodes.map((node) => [
            node.name,
            node.circle,
            node.role,
            node.url,
            nodeFlags(node),
            yesNo(node.active),
            formatCount(node.buffered.points),
            node.active ? '' : (node.inactiveReason ?? ''),
          ]),
        ),
      );
    });
  },
};
