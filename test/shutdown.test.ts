// SIGTERM of the proxy process under load: it stops taking requests, finishes the writes in flight
// (to the nodes, or to Redis for a node that is down) and exits with code 0; every request that got a
// 204 is on every circle (after the down node returned).
import { describe, expect, it } from 'vitest';
import type { TestCluster } from './helpers/cluster.js';
import { expectAckedEverywhere, faultTest, nodeHealth, ownerIn, waitActive, waitUntil, type LoadStats } from './helpers/load.js';

const MEASUREMENTS = Array.from({ length: 8 }, (_, i) => `shutdown${i}`);

// Requests left unanswered when the proxy stopped stay unacknowledged and may be partly stored, hence
// allowUnacked when checking the loads.
const t = faultTest();

/** SIGTERM; resolves with the exit code. */
async function terminateProxy(c: TestCluster): Promise<number | string> {
  const proc = c.proxyProcess;
  if (proc === null) throw new Error('no proxy process');
  // Generous grace: a SIGKILL after it would show as 'SIGKILL' and fail the test.
  await proc.stop(30_000);
  return proc.exited;
}

describe('SIGTERM of the proxy under load', () => {
  it('exits with code 0 and every acknowledged write is on the nodes', async () => {
    const c = await t.startCluster({ circles: [2, 2], proxyProcess: true });
    const load = t.startLoad({ url: c.url, name: 'sigterm', measurements: MEASUREMENTS, writers: 4, batchLines: 200 });
    await load.progress(100);
    expect(await terminateProxy(c)).toBe(0);
    await waitUntil('writers failing against the stopped proxy', () => load.stats().failedAttempts >= 4, 10_000);
    const stats = await load.stop();
    expect(stats.ackedRequests).toBeGreaterThanOrEqual(100);
    await expectAckedEverywhere(load, c.nodes, { allowUnacked: true });
  });

  it('answers writes that arrive while it shuts down like InfluxDB: 503 with Retry-After and {"error": …}', async () => {
    const c = await t.startCluster({ circles: [1, 1], proxyProcess: true });
    // The answer only shows when a request arrives on an open connection during the shutdown: try a
    // few times.
    let refused = 0;
    let stats: LoadStats | null = null;
    for (let round = 0; round < 3 && refused === 0; round++) {
      if (c.proxyProcess === null) await c.startProxy();
      const l = t.startLoad({ url: c.url, name: `sigterm_answer${round}`, measurements: MEASUREMENTS, writers: 8, batchLines: 50 });
      await l.progress(50);
      expect(await terminateProxy(c)).toBe(0);
      c.proxyProcess = null;
      stats = await l.stop();
      refused = stats.outcomes['503'] ?? 0;
    }
    console.log('503 answers seen during shutdown:', refused, JSON.stringify(stats?.errorSamples));
    expect(stats?.retryAfterMissing, JSON.stringify(stats)).toBe(0);
    expect(stats?.notInfluxErrors, JSON.stringify(stats)).toBe(0);
  });

  it('exits with code 0 with a node down, and the buffered writes arrive once the node returns', async () => {
    const c = await t.startCluster({ circles: [2, 2], proxyProcess: true });
    const victim = ownerIn(c.nodes[0] ?? [], 'demo', 'shutdown0');
    const load = t.startLoad({ url: c.url, name: 'sigterm_down', measurements: MEASUREMENTS, writers: 4, batchLines: 200 });
    await load.progress(20);
    await victim.stop();
    await waitUntil(`${victim.name} buffering`, async () => (await nodeHealth(c.url, victim.name)).buffered.points > 0, 20_000);
    await load.progress(100);
    expect(await terminateProxy(c)).toBe(0);
    const stats = await load.stop();
    // Redis was up: nothing was refused for want of a place to store it.
    expect(stats.errorSamples.filter((e) => e.includes('write not stored')), JSON.stringify(stats)).toEqual([]);

    await c.startProxy();
    await victim.restart();
    await waitActive(c.url, victim.name, 45_000);
    await expectAckedEverywhere(load, c.nodes, { allowUnacked: true });
  });
});
