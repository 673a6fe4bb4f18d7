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
import { measurementsOf } from '../../proxy/misplaced.js';
import type { InfluxNode } from '../../proxy/node.js';
import { shardKey } from '../../proxy/shard-key.js';
import { commitRing, ringChanges, switchReads } from '../../proxy/topology-description.js';
import type { JobContext } from '../job-context.js';
import { dropMisplaced } from './cleanup.js';
import { copyMeasurement, Throttle } from '../measurement-copy.js';
import { forEachConcurrently } from '../concurrently.js';
import { waitUntilReady } from '../node-readiness.js';
import type { JobServices } from './services.js';

export interface MoveTask {
  readonly db: string;
  readonly measurement: string;
  readonly from: InfluxNode;
  readonly to: InfluxNode;
}

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
    const tasks: MoveTask[] = [];
    const holders = circle.nodes.filter((node) => described.members.includes(node.name));
    for (const node of holders) {
      await waitUntilReady(ctx, node, services.redis, services.keys, true);
      for (const { db, measurement } of await measurementsOf(node, ctx.config.query.timeout, services.hiddenDatabases)) {
        const key = shardKey(db, measurement);
        const from = circle.memberOwner(key);
        const to = circle.nextOwner(key);
        if (from === node && to !== null && to !== from) tasks.push({ db, measurement, from, to });
      }
    }
    await ctx.say(`circle ${circleName}: ${tasks.length} measurement(s) change owner`);
    await ctx.progress('copy', 0, tasks.length);
    const throttle = new Throttle(ctx.config.jobs.copyRate);
    const readyTargets = new Set<InfluxNode>();
    const copyStarted = performance.now();
    await forEachConcurrently(tasks, ctx.config.jobs.copyConcurrency, async (task) => {
      await ctx.checkpoint();
      if (!readyTargets.has(task.to)) {
        await waitUntilReady(ctx, task.to, services.redis, services.keys, false);
        readyTargets.add(task.to);
      }
      await waitUntilReady(ctx, task.from, services.redis, services.keys, true);
      const points = await copyMeasurement(ctx, { db: task.db, measurement: task.measurement, source: task.from, targets: [task.to] }, throttle);
      moved++;
      ctx.log.debug({ db: task.db, measurement: task.measurement, from: task.from.name, to: task.to.name, points }, 'measurement copied');
      await ctx.progress('copy', moved, tasks.length);
    });
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
