// Recovery: rebuilds a node (or every node of a circle) from another circle. The nodes are made
// write-only first — they take every new write, serve no reads — then each measurement they own is
// copied from its owner in the source circle, and they serve reads again. Cancelled midway, the nodes
// stay write-only (reads go to the other circles) until a recovery completes.
import { measurementsOwned } from '../../proxy/misplaced.js';
import type { InfluxNode } from '../../proxy/node.js';
import type { Topology } from '../../proxy/topology.js';
import { updateNode } from '../../proxy/topology-description.js';
import type { JobContext } from '../job-context.js';
import { copyAll, type CopyTask } from '../measurement-copy.js';
import { nodeReadiness, waitUntilReady } from '../node-readiness.js';
import type { JobServices } from './services.js';

/**
 * The source circle: the one asked for, else the first other circle whose read nodes are all ready to
 * copy from — waited for (a node catching up with the catalog, or replaying, is ready moments later),
 * at most jobs.barrierTimeout.
 */
async function sourceCircle(ctx: JobContext, services: JobServices, topology: Topology, excluded: readonly string[], asked: string | undefined): Promise<Topology['circles'][number]> {
  if (asked !== undefined) {
    const circle = topology.circles.find((c) => c.name === asked);
    if (circle === undefined) throw new Error(`no circle named ${asked}`);
    if (excluded.includes(asked)) throw new Error(`circle ${asked} cannot be its own source`);
    return circle;
  }
  if (topology.circles.every((circle) => excluded.includes(circle.name))) throw new Error('no other circle has all its nodes ready to copy from: there is no other circle');
  const deadline = Date.now() + ctx.config.jobs.barrierTimeout;
  let said = false;
  for (;;) {
    const reasons: string[] = [];
    for (const circle of topology.circles) {
      if (excluded.includes(circle.name)) continue;
      const readiness = await Promise.all(circle.readNodes.map((node) => nodeReadiness(node, services, true)));
      if (readiness.every((r) => r.ready) && circle.readNodes.every((node) => !node.writeOnly)) return circle;
      reasons.push(...circle.readNodes.flatMap((node, i) => (readiness[i]?.ready ? [] : [`${node.name} ${readiness[i]?.reason ?? ''}`])));
    }
    if (Date.now() > deadline) throw new Error(`no other circle has all its nodes ready to copy from (${reasons.join('; ') || 'no other circle'}): name one with "source"`);
    if (!said) {
      await ctx.say(`waiting for another circle to be ready to copy from: ${reasons.join('; ') || 'no other circle'}`);
      said = true;
    }
    await ctx.checkpoint();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function recovery(ctx: JobContext, services: JobServices, circleName: string, nodeName: string | undefined, sourceName: string | undefined): Promise<Record<string, unknown>> {
  let topology = await services.topology.current();
  const circle = topology.circles.find((c) => c.name === circleName);
  if (circle === undefined) throw new Error(`no circle named ${circleName}`);
  const names = nodeName === undefined ? circle.nodes.map((n) => n.name) : [nodeName];
  const source = await sourceCircle(ctx, services, topology, [circleName], sourceName);
  await ctx.say(`recovering ${names.join(', ')} (circle ${circleName}) from circle ${source.name}`);

  // A rebuilt node may have lost its databases: it gets the whole catalog again before it takes writes.
  for (const name of names) await services.redis.hdel(services.keys.catalogApplied(), name);
  // Write-only, back from maintenance: it takes every write, and no read may see it while it lacks data.
  const version = await ctx.change(circleName, (current) => names.reduce((t, name) => updateNode(t, name, { writeOnly: true, maintenance: false }), current));
  topology = services.topology.build(version);
  const target = topology.circles.find((c) => c.name === circleName) as Topology['circles'][number];
  const targets = new Set<InfluxNode>(target.nodes.filter((n) => names.includes(n.name)));
  for (const node of targets) await waitUntilReady(ctx, node, services, false);

  const from = topology.circles.find((c) => c.name === source.name) as Topology['circles'][number];
  const tasks: CopyTask[] = [];
  for (const node of from.readNodes) {
    await waitUntilReady(ctx, node, services, true);
    for (const { db, measurement, key } of await measurementsOwned(node, (k) => from.owner(k), ctx.config.query.timeout, services.hiddenDatabases)) {
      const owners = target.writeOwners(key).filter((owner) => targets.has(owner));
      if (owners.length > 0) tasks.push({ db, measurement, source: node, targets: owners });
    }
  }
  await ctx.say(`${tasks.length} measurement(s) to copy`);
  await copyAll(ctx, tasks);
  await ctx.change(circleName, (current) => names.reduce((t, name) => updateNode(t, name, { writeOnly: false }), current));
  await ctx.say(`recovered ${names.join(', ')}: ${tasks.length} measurement(s), ${ctx.points} point(s); serving reads again`);
  return { measurements: tasks.length, points: ctx.points, nodes: names, source: source.name };
}
