// Rebalance under sustained write load, with real influxd nodes, Redis, the proxy and a worker process:
// a node added to a 1 circle × 2 nodes cluster, then rebalance (which drops what it moved from the old
// owners) and cleanup (of a measurement written behind the proxy's back to a node that does not own it)
// — every acknowledged point is on the circle exactly once, on its owner, and a query during the move
// never returns less than what was acknowledged before it started; a node removed the same way; a rebalance cancelled midway
// leaves the cluster consistent and runs again to the end.
import { describe, expect, it } from 'vitest';
import { admin, type JobState, waitForJob } from './helpers/admin.js';
import type { TestCluster } from './helpers/cluster.js';
import { count } from './helpers/influx.js';
import { expectAckedEverywhere, type Load, waitUntil } from './helpers/load.js';
import type { OwnedProcess } from '../deploy/local/child-process.js';
import { measurementsByNode, operationsTest, runJob } from './helpers/worker.js';

const t = operationsTest();
/** The worker of the current test. */
let worker: OwnedProcess;

const MEASUREMENTS = Array.from({ length: 24 }, (_, i) => `rb_${i}`);

async function startOperable(circles: number[], config: Record<string, unknown> = {}): Promise<TestCluster> {
  const started = await t.startOperable(circles, config);
  worker = started.worker;
  return started.cluster;
}

/** Sums the load's points through the proxy, measurement by measurement. */
async function countThroughProxy(c: TestCluster, load: Load): Promise<number> {
  let total = 0;
  for (const measurement of load.measurements) total += await count(c.url, load.db, measurement);
  return total;
}

/** Runs queries while `until` is pending: each must count at least what was acknowledged before it. */
async function queriesDuring(c: TestCluster, load: Load, until: Promise<unknown>): Promise<{ queries: number; shortfalls: string[] }> {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  const shortfalls: string[] = [];
  let queries = 0;
  while (!done) {
    const ackedBefore = load.stats().ackedPoints;
    const counted = await countThroughProxy(c, load);
    queries++;
    if (counted < ackedBefore) shortfalls.push(`counted ${counted} < acknowledged before ${ackedBefore}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { queries, shortfalls };
}

/** Each measurement is on exactly its owner (and no other node) of the circle. */
async function expectEachOnItsOwner(c: TestCluster, nodes: readonly { name: string; url: string }[]): Promise<void> {
  const held = await measurementsByNode(nodes, 'demo');
  for (const measurement of MEASUREMENTS) {
    const replica = await admin<{ circles: { owner: string }[] }>(c.url, 'GET', `/admin/replica?db=demo&measurement=${measurement}`);
    const owner = replica.body.circles[0]?.owner;
    const holders = Object.entries(held).filter(([, list]) => list.includes(measurement)).map(([name]) => name);
    expect(holders, measurement).toEqual([owner]);
  }
}

describe('rebalance', () => {
  it('scale-out under load: add a node, rebalance, cleanup — every acknowledged point once per circle, reads never short', async () => {
    const c = await startOperable([2]);
    const load = t.startLoad({ url: c.url, name: 'grow', measurements: MEASUREMENTS, writers: 4, batchLines: 200 });
    await load.progress(50);
    const extra = await t.startExtraNode(c, 'a3');
    const added = await admin(c.url, 'POST', '/admin/circles/circle-a/nodes', { name: 'a3', url: extra.url });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    await load.progress(50);

    const job = runJob(c.url, { type: 'rebalance', circle: 'circle-a' });
    const during = await queriesDuring(c, load, job);
    const rebalanced = await job;
    console.log('rebalance:', JSON.stringify({ result: rebalanced.job.result, queriesDuring: during.queries, logs: rebalanced.logs }));
    expect(during.shortfalls).toEqual([]);
    expect(during.queries).toBeGreaterThan(0);
    expect(rebalanced.job.result).toMatchObject({ moved: expect.any(Number) });
    expect((rebalanced.job.result as { moved: number }).moved).toBeGreaterThan(0);
    const topology = await admin<{ circles: { members: string[]; next: string[] | null }[] }>(c.url, 'GET', '/admin/topology');
    expect(topology.body.circles[0]).toMatchObject({ members: ['a1', 'a2', 'a3'], next: null });

    // the moved measurements were dropped from their old owners at the end of the rebalance
    expect((rebalanced.job.result as { dropped: number }).dropped).toBe((rebalanced.job.result as { moved: number }).moved);
    expect((await admin<{ misplaced: number }>(c.url, 'GET', '/admin/health')).body.misplaced).toBe(0);
    await load.progress(50);

    // a measurement written behind the proxy's back to a node that does not own it: misplaced, and cleaned
    const stray = await admin<{ circles: { owner: string }[] }>(c.url, 'GET', '/admin/replica?db=demo&measurement=stray');
    const notOwner = ['a1', 'a2', 'a3'].find((name) => name !== stray.body.circles[0]?.owner) as string;
    const strayNode = notOwner === 'a3' ? extra : c.node(notOwner);
    expect((await fetch(`${strayNode.url}/write?db=demo`, { method: 'POST', body: 'stray v=1 1700000000000000000' })).status).toBe(204);
    const before = await admin<{ misplaced: number; nodes: { name: string; misplaced: { measurement: string }[] | null }[] }>(c.url, 'GET', '/admin/health');
    expect(before.body.misplaced).toBe(1);
    expect(before.body.nodes.find((n) => n.name === notOwner)?.misplaced).toEqual([{ db: 'demo', measurement: 'stray', owner: stray.body.circles[0]?.owner }]);
    const cleaned = await runJob(c.url, { type: 'cleanup', circle: 'circle-a' });
    expect(cleaned.job.result).toMatchObject({ dropped: 1, skipped: [] });
    await load.progress(50);

    const nodes = [...(c.nodes[0] ?? []), extra];
    await expectAckedEverywhere(load, [nodes], { noFailedAttempts: true });
    await expectEachOnItsOwner(c, nodes);
    expect((await admin<{ misplaced: number }>(c.url, 'GET', '/admin/health')).body.misplaced).toBe(0);
  });

  it('scale-in under load: remove a node, rebalance, cleanup — its measurements move, nothing is lost', async () => {
    const c = await startOperable([3]);
    const load = t.startLoad({ url: c.url, name: 'shrink', measurements: MEASUREMENTS, writers: 4, batchLines: 200 });
    await load.progress(50);
    const removed = await admin<{ next: string[] }>(c.url, 'DELETE', '/admin/nodes/a3');
    expect(removed.status).toBe(202);
    expect(removed.body.next).toEqual(['a1', 'a2']);
    const job = runJob(c.url, { type: 'rebalance', circle: 'circle-a' });
    const during = await queriesDuring(c, load, job);
    await job;
    expect(during.shortfalls).toEqual([]);
    const topology = await admin<{ circles: { members: string[]; nodes: { name: string }[] }[] }>(c.url, 'GET', '/admin/topology');
    expect(topology.body.circles[0]?.members).toEqual(['a1', 'a2']);
    expect(topology.body.circles[0]?.nodes.map((n) => n.name)).toEqual(['a1', 'a2']);
    await load.progress(50);
    // a3 left the topology: it holds nothing that counts any more; the two remaining hold everything once
    await runJob(c.url, { type: 'cleanup', circle: 'circle-a' });
    const remaining = (c.nodes[0] ?? []).slice(0, 2);
    await expectAckedEverywhere(load, [remaining], { noFailedAttempts: true });
    await expectEachOnItsOwner(c, remaining);
  });

  it('a rebalance cancelled midway leaves the cluster consistent and runs again to the end', async () => {
    // slow copies (200 points/s) so the cancel lands during the copy
    const c = await startOperable([2], { jobs: { barrierTimeout: '20s', copyRate: 200, copyBatchLines: 100 } });
    const load = t.startLoad({ url: c.url, name: 'cancel', measurements: MEASUREMENTS, writers: 2, batchLines: 100 });
    await load.progress(40);
    const extra = await t.startExtraNode(c, 'a3');
    expect((await admin(c.url, 'POST', '/admin/circles/circle-a/nodes', { name: 'a3', url: extra.url })).status).toBe(201);
    const started = await admin<JobState>(c.url, 'POST', '/admin/jobs', { type: 'rebalance', circle: 'circle-a' });
    expect(started.status).toBe(202);
    await waitUntil('the copy under way', async () => ((await admin<{ job: JobState }>(c.url, 'GET', `/admin/jobs/${started.body.id}`)).body.job.progress?.points ?? 0) > 0, 30_000);
    // a second job on the same circle is refused while this one runs
    const second = await admin(c.url, 'POST', '/admin/jobs', { type: 'cleanup', circle: 'circle-a' });
    expect(second.status).toBe(409);
    // ring changes too
    expect((await admin(c.url, 'DELETE', '/admin/nodes/a2')).status).toBe(409);
    const cancelled = await admin<JobState & { cancelRequested: boolean }>(c.url, 'POST', `/admin/jobs/${started.body.id}/cancel`);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.cancelRequested).toBe(true);
    const ended = await waitForJob(c.url, started.body.id);
    expect(ended.job.state).toBe('failed');
    expect(ended.job.failedReason).toMatch(/cancelled by an operator/);
    // still copying: writes to both owners, reads from the old ones; the lock is free again
    const topology = await admin<{ circles: { phase: string | null; next: string[] | null }[] }>(c.url, 'GET', '/admin/topology');
    expect(topology.body.circles[0]).toMatchObject({ phase: 'copy', next: ['a1', 'a2', 'a3'] });
    const ackedBefore = load.stats().ackedPoints;
    expect(await countThroughProxy(c, load)).toBeGreaterThanOrEqual(ackedBefore);

    // run again, at full speed: another worker without the rate limit
    await worker.stop();
    t.startWorker(c, 'worker-2', { INFLUXRING_JOBS_COPY_RATE: '0' });
    await runJob(c.url, { type: 'rebalance', circle: 'circle-a' });
    await runJob(c.url, { type: 'cleanup', circle: 'circle-a' });
    const nodes = [...(c.nodes[0] ?? []), extra];
    await expectAckedEverywhere(load, [nodes], { noFailedAttempts: true });
    await expectEachOnItsOwner(c, nodes);
  });
});
