// Rebalance a circle whose ring changes (a node added or removed), without loss and without a gap:
//   1. wait until every proxy writes each point to its owner in both rings (the current version);
//   2. copy every measurement whose owner changes from its current owner (once that node holds all
//      it acknowledged: nothing left in its replay buffer) to its next owner;
//   3. move reads to the next ring, wait for every proxy, then commit the ring (writes go to the new
//      owner only), wait again, forget the replay buffers of the nodes that left, and drop the moved
//      measurements from their old owners (left there, they would make SHOW … CARDINALITY, which
//      sums the nodes' answers, count them twice).
// Cancelled during the copy, the circle stays in its copy phase (writes to both owners, reads from the
// old one): consistent, and a new rebalance copies again (a point written twice is stored once).
import { measurementsOwned } from '../../proxy/misplaced.js';
import type { InfluxNode } from '../../proxy/node.js';
import { commitRing, ringChanges, switchReads } from '../../proxy/topology-description.js';
import type { JobContext } from '../job-context.js';
import { dropMisplaced } from './cleanup.js';
import { copyAll, type CopyTask } from '../measurement-copy.js';
import { waitUntilReady } from '../node-readiness.js';
import type { JobServices } from './services.js';

export async function rebalance(ctx: JobContext, services: JobServices, circleName: string): Promise<Record<string, unknown>> {
  const started = performance.now();
  let topology = await services.topology.current();
  let circle = topology.circles.find((c) => c.name === circleName);
  const described = topology.description.circles.find((c) => c.name === circleName);
  if (circle === undefined || described === undefined) throw new Error(`no circle named ${circleName}`);
  if (described.next === null) {
    await ctx.say(`circle ${circleName}: its ring is not changing (add or remove a node first); nothing to move`);
    return { moved: 0, points: 0 };
  }
  const { joining, leaving } = ringChanges(described);
  await ctx.say(`circle ${circleName}: ring ${described.members.join(',')} → ${described.next.join(',')} (joining: ${joining.join(',') || 'none'}; leaving: ${leaving.join(',') || 'none'}), phase ${described.phase ?? ''}`);
  await ctx.barrier(topology.version);

  let moved = 0;
  let copySeconds = 0;
  if (described.phase === 'copy') {
    const tasks: CopyTask[] = [];
    const holders = circle.nodes.filter((node) => described.members.includes(node.name));
    const ring = circle;
    for (const node of holders) {
      await waitUntilReady(ctx, node, services, true);
      for (const { db, measurement, key } of await measurementsOwned(node, (k) => ring.memberOwner(k), ctx.config.query.timeout, services.hiddenDatabases)) {
        const to = ring.nextOwner(key);
        if (to !== null && to !== node) tasks.push({ db, measurement, source: node, targets: [to] });
      }
    }
    await ctx.say(`circle ${circleName}: ${tasks.length} measurement(s) change owner`);
    const readyTargets = new Set<InfluxNode>();
    const copyStarted = performance.now();
    await copyAll(ctx, tasks, async (task) => {
      const to = task.targets[0] as InfluxNode;
      if (!readyTargets.has(to)) {
        await waitUntilReady(ctx, to, services, false);
        readyTargets.add(to);
      }
      await waitUntilReady(ctx, task.source, services, true);
    });
    moved = tasks.length;
    copySeconds = (performance.now() - copyStarted) / 1000;
    await ctx.say(`circle ${circleName}: copied ${moved} measurement(s), ${ctx.points} point(s); moving reads to the new owners`);
    await ctx.change(circleName, (current) => switchReads(current, circleName));
  }
  await ctx.progress('commit', moved, moved);
  const committed = await ctx.change(circleName, (current) => commitRing(current, circleName));
  topology = services.topology.build(committed);
  circle = topology.circles.find((c) => c.name === circleName);
  for (const name of leaving) {
    await services.forgetNode(name);
    await ctx.say(`node ${name} left circle ${circleName}; its replay buffer and catalog state are removed`);
  }
  const cleaned = await dropMisplaced(ctx, services, topology, [circleName]);
  const seconds = (performance.now() - started) / 1000;
  await ctx.say(`circle ${circleName}: rebalanced in ${seconds.toFixed(1)} s (ring ${circle?.readNodes.map((n) => n.name).join(',') ?? ''}); ${cleaned.dropped} moved measurement(s) dropped from their old owners${cleaned.skipped.length > 0 ? `; nodes ${cleaned.skipped.join(', ')} were not ready: run a cleanup later` : ''}`);
  return {
    moved,
    points: ctx.points,
    seconds: Number(seconds.toFixed(3)),
    pointsPerSecond: seconds > 0 ? Math.round(ctx.points / seconds) : null,
    copySeconds: Number(copySeconds.toFixed(3)),
    copyPointsPerSecond: copySeconds > 0 ? Math.round(ctx.points / copySeconds) : null,
    dropped: cleaned.dropped,
    version: committed.version,
  };
}
