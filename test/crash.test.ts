// kill -9 of the proxy process under sustained load loses no acknowledged point: a 204 is sent only
// once every point is on its node or in the node's replay buffer in Redis. Writers retry what got no
// answer, as real clients do. Variants: all nodes up; a node down when the proxy dies (acknowledged
// points then live only in Redis, and a new proxy process must replay them); the proxy killed while it
// replays a buffer (its lease must expire and another process must finish the replay); one of several
// proxy processes (processes: 2) killed while a node is down.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TestCluster } from './helpers/cluster.js';
import { expectAckedEverywhere, faultTest, nodeHealth, nodeHealthOnNewConnection, ownerIn, waitActive, waitUntil } from './helpers/load.js';

const MEASUREMENTS = Array.from({ length: 8 }, (_, i) => `crash${i}`);

// Writers retry until they get a 204: expectAckedEverywhere also asserts that no request was left
// unacknowledged.
const t = faultTest();

async function killProxy(c: TestCluster): Promise<void> {
  const proc = c.proxyProcess;
  if (proc === null) throw new Error('no proxy process');
  await proc.kill();
  expect(await proc.exited).toBe('SIGKILL');
}

describe('kill -9 of the proxy under load', () => {
  it('loses no acknowledged point', async () => {
    const c = await t.startCluster({ circles: [2, 2], proxyProcess: true });
    const load = t.startLoad({ url: c.url, name: 'crash_plain', measurements: MEASUREMENTS, writers: 4, batchLines: 200 });
    await load.progress(100);
    await killProxy(c);
    // Writers find the proxy gone and keep retrying.
    await waitUntil('writers failing against the dead proxy', () => load.stats().failedAttempts > 0, 10_000);
    await c.startProxy();
    await load.progress(100);
    await expectAckedEverywhere(load, c.nodes);
  });

  it('loses nothing acknowledged that lived only in Redis while a node was down', async () => {
    const c = await t.startCluster({ circles: [2, 2], proxyProcess: true });
    const victim = ownerIn(c.nodes[0] ?? [], 'demo', 'crash0');
    const load = t.startLoad({ url: c.url, name: 'crash_down', measurements: MEASUREMENTS, writers: 4, batchLines: 200 });
    await load.progress(50);
    await victim.stop();
    await waitUntil(
      `${victim.name} buffering`,
      async () => {
        const n = await nodeHealth(c.url, victim.name);
        return !n.healthy && n.buffering && n.buffered.points > 0;
      },
      20_000,
    );
    await load.progress(200);
    expect(load.stats().failedAttempts, JSON.stringify(load.stats())).toBe(0);
    await killProxy(c);
    await c.startProxy();
    // The new process finds the buffer in Redis and keeps buffering for the node that is still down.
    const after = await nodeHealth(c.url, victim.name);
    expect(after.healthy).toBe(false);
    expect(after.buffering).toBe(true);
    expect(after.buffered.points).toBeGreaterThan(0);
    await load.progress(100);
    await victim.restart();
    await waitActive(c.url, victim.name, 45_000);
    await load.progress(50);
    await expectAckedEverywhere(load, c.nodes);
  });

  it('loses nothing when the proxy dies while it replays a buffer', async () => {
    // Small replay batches make the replay last long enough to be interrupted; a short lease lets the
    // next process take over soon.
    const c = await t.startCluster({
      circles: [2, 2],
      proxyProcess: true,
      config: { replay: { batchLines: 1000, lockTtl: '3s' } },
    });
    const victim = ownerIn(c.nodes[0] ?? [], 'demo', 'crash0');
    const load = t.startLoad({ url: c.url, name: 'crash_replay', measurements: MEASUREMENTS, writers: 4, batchLines: 200 });
    await load.progress(20);
    await victim.stop();
    await waitUntil(`${victim.name} buffering`, async () => (await nodeHealth(c.url, victim.name)).buffered.points > 0, 20_000);
    await waitUntil(`150k points buffered for ${victim.name}`, async () => (await nodeHealth(c.url, victim.name)).buffered.points >= 150_000, 60_000);
    await victim.restart();
    // Kill the proxy as soon as it replays (if the replay is already over, the kill is still a crash).
    const deadline = Date.now() + 20_000;
    let sawReplaying = false;
    while (Date.now() < deadline) {
      const n = await nodeHealth(c.url, victim.name);
      if (n.replaying) {
        sawReplaying = true;
        break;
      }
      if (n.active) break;
    }
    expect(sawReplaying, 'the proxy replayed the buffer for a while').toBe(true);
    await killProxy(c);
    await c.startProxy();
    await waitActive(c.url, victim.name, 45_000);
    await load.progress(50);
    await expectAckedEverywhere(load, c.nodes);
  });

  it('loses nothing when one of several proxy processes is killed while a node is down', async () => {
    const c = await t.startCluster({ circles: [2, 2], proxyProcess: true, config: { processes: 2 } });
    const primary = c.proxyProcess?.child.pid;
    if (primary === undefined) throw new Error('no proxy process');
    await waitUntil('2 proxy processes', () => workers(primary).length === 2, 20_000);
    const victim = ownerIn(c.nodes[0] ?? [], 'demo', 'crash0');
    const load = t.startLoad({ url: c.url, name: 'crash_workers', measurements: MEASUREMENTS, writers: 4, batchLines: 200 });
    await load.progress(50);
    await victim.stop();
    await waitUntil(`${victim.name} buffering`, async () => (await nodeHealth(c.url, victim.name)).buffered.points > 0, 20_000);
    await load.progress(100);
    const [killed] = workers(primary);
    if (killed === undefined) throw new Error('no worker');
    process.kill(killed, 'SIGKILL');
    // The supervisor starts another process.
    await waitUntil('a new proxy process', () => {
      const now = workers(primary);
      return now.length === 2 && !now.includes(killed);
    }, 20_000);
    await load.progress(100);
    await victim.restart();
    // Every process must see the node active: ask /health on fresh connections (spread over processes).
    await waitUntil(
      `${victim.name} active in every proxy process`,
      async () => {
        for (let i = 0; i < 6; i++) if (!(await nodeHealthOnNewConnection(c.url, victim.name)).active) return false;
        return true;
      },
      45_000,
      async () => JSON.stringify(await nodeHealthOnNewConnection(c.url, victim.name)),
    );
    await load.progress(50);
    await expectAckedEverywhere(load, c.nodes);
  });
});

/** Pids of the proxy processes the supervisor forked. */
function workers(primary: number): number[] {
  const file = `/proc/${primary}/task/${primary}/children`;
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}
