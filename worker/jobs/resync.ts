// Resync (anti-entropy): makes the circles hold the same points again, e.g. after a circle missed
// writes that no buffer kept. For every measurement found on any circle, its owner in each circle
// summarises it (point count per series and field, per retention policy); where two owners' summaries
// differ, each copies its points to the other, so every owner ends with the union.
import { quoteIdent } from '../../proxy/influxql-tokens.js';
import { measurementsOwned } from '../../proxy/misplaced.js';
import { writeJson } from '../../proxy/json-lossless.js';
import { replyError, type InfluxNode } from '../../proxy/node.js';
import type { JobContext } from '../job-context.js';
import { copyMeasurement, Throttle } from '../measurement-copy.js';
import { waitUntilReady } from '../node-readiness.js';
import type { JobServices } from './services.js';

/** A summary of a measurement on a node: its answer to COUNT(*) per series, every retention policy. */
async function summary(node: InfluxNode, db: string, measurement: string, timeoutMs: number): Promise<string> {
  const parts: string[] = [];
  for (const rp of await node.firstColumn(`SHOW RETENTION POLICIES ON ${quoteIdent(db)}`, db, timeoutMs)) {
    const count = `SELECT COUNT(*) FROM ${quoteIdent(db)}.${quoteIdent(rp)}.${quoteIdent(measurement)} GROUP BY *`;
    const reply = await node.statement(count, db, timeoutMs);
    // An error is not a summary: two owners failing alike must not look in sync.
    const error = replyError(reply);
    if (error !== null) throw new Error(`${node.name}: ${count}: ${error}`);
    parts.push(`${rp}:${writeJson(reply.body)}`);
  }
  return parts.join('\n');
}

export async function resync(ctx: JobContext, services: JobServices, asked: string | undefined): Promise<Record<string, unknown>> {
  const topology = await services.topology.current();
  await ctx.barrier(topology.version);
  const circles = topology.circles;
  const found = new Map<string, { db: string; measurement: string }>();
  for (const circle of circles) {
    for (const node of circle.readNodes) {
      await waitUntilReady(ctx, node, services, true);
      for (const { db, measurement, key } of await measurementsOwned(node, (k) => circle.owner(k), ctx.config.query.timeout, services.hiddenDatabases)) {
        found.set(key, { db, measurement });
      }
    }
  }
  await ctx.say(`resync of circles ${circles.map((c) => c.name).join(', ')}${asked === undefined ? '' : ` (source ${asked})`}: ${found.size} measurement(s) to compare`);
  const throttle = new Throttle(ctx.config.jobs.copyRate);
  let compared = 0;
  let repaired = 0;
  for (const [key, { db, measurement }] of found) {
    await ctx.checkpoint();
    await ctx.progress('compare', compared, found.size);
    const owners = topology.owners(key);
    const summaries = await Promise.all(owners.map((owner) => summary(owner, db, measurement, ctx.config.query.timeout)));
    compared++;
    if (summaries.every((s) => s === summaries[0])) continue;
    repaired++;
    // Union: every owner whose summary differs from another's copies to it (a source named by the
    // operator only gives, never takes).
    for (const [i, source] of owners.entries()) {
      const targets = owners.filter((target, j) => j !== i && summaries[j] !== summaries[i] && circles[j]?.name !== asked);
      if (targets.length === 0) continue;
      await copyMeasurement(ctx, { db, measurement, source, targets }, throttle);
    }
    await ctx.say(`${db}.${measurement} differed between circles: copied to make them equal`);
  }
  await ctx.progress('compare', compared, found.size);
  await ctx.say(`resync done: ${compared} measurement(s) compared, ${repaired} repaired, ${ctx.points} point(s) copied`);
  return { compared, repaired, points: ctx.points };
}
