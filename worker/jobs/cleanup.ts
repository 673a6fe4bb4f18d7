// Cleanup: drops, from each node of the circles, the measurements it holds but no longer owns (left
// behind by a rebalance). Only after every proxy routes with the current topology, so no write of an
// older version can bring one back; a measurement still taking writes on the node (it is being moved)
// is never misplaced.
import { quoteIdent } from '../../proxy/influxql-tokens.js';
import { findMisplaced } from '../../proxy/misplaced.js';
import type { Topology } from '../../proxy/topology.js';
import type { JobContext } from '../job-context.js';
import { nodeReadiness } from '../node-readiness.js';
import type { JobServices } from './services.js';


export interface CleanupResult {
  readonly dropped: number;
  readonly skipped: string[];
}

export async function cleanup(ctx: JobContext, services: JobServices, circles: readonly string[]): Promise<CleanupResult> {
  const topology = await services.topology.current();
  await ctx.barrier(topology.version);
  const result = await dropMisplaced(ctx, services, topology, circles);
  await ctx.say(`cleanup of ${circles.join(', ')}: dropped ${result.dropped} misplaced measurement(s)${result.skipped.length > 0 ? `; skipped ${result.skipped.join(', ')}` : ''}`);
  return result;
}

/** Drops the misplaced measurements of the circles' nodes; every proxy must route with `topology` already. */
export async function dropMisplaced(ctx: JobContext, services: JobServices, topology: Topology, circles: readonly string[]): Promise<CleanupResult> {
  const nodes = topology.circles.filter((c) => circles.includes(c.name)).flatMap((c) => c.nodes);
  let dropped = 0;
  const skipped: string[] = [];
  for (const [index, node] of nodes.entries()) {
    await ctx.checkpoint();
    await ctx.progress('cleanup', index, nodes.length);
    const readiness = await nodeReadiness(node, services, false);
    if (!readiness.ready) {
      skipped.push(node.name);
      await ctx.say(`node ${node.name} ${readiness.reason}: skipped (run the cleanup again later)`);
      continue;
    }
    const misplaced = await findMisplaced(topology, node, ctx.config.query.timeout, services.hiddenDatabases);
    for (const { db, measurement, owner } of misplaced) {
      await ctx.checkpoint();
      await node.rows(`DROP MEASUREMENT ${quoteIdent(measurement)}`, db, ctx.config.query.timeout);
      dropped++;
      await ctx.say(`dropped ${db}.${measurement} from ${node.name} (its owner is ${owner})`);
    }
  }
  await ctx.progress('cleanup', nodes.length, nodes.length);
  return { dropped, skipped };
}
