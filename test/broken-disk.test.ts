// A node whose disk is full: influxd still answers /ping, but its writes fail with 500 "no space left
// on device". The proxy must not trust /ping alone: its health check's probe write fails, the node is
// marked unhealthy and its writes are buffered; clients keep getting 204. Made real: the node's WAL
// directory is a small tmpfs, filled up by a file (needs root to mount, as in these test machines).
// influxd keeps failing writes to a WAL segment that once hit ENOSPC even after space is freed (its
// buffered writer keeps the error), so recovery is as an operator does it: free space, restart influxd.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InfluxdServer } from '../deploy/local/influxd.js';
import { expectAckedEverywhere, faultTest, nodeHealth, waitActive, waitUntil } from './helpers/load.js';

const MEASUREMENTS = ['disk0', 'disk1', 'disk2'];

/** The node whose WAL is on a tmpfs, and where: unmounted in cleanup, after the node is stopped. */
let mounted: { node: InfluxdServer; dir: string } | null = null;

const t = faultTest({
  async beforeClusterStop() {
    if (!mounted) return;
    await mounted.node.stop();
    try {
      execFileSync('umount', [mounted.dir], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', mounted.dir], { stdio: 'pipe' });
    }
    mounted = null;
  },
});

/** Moves the node's WAL onto a tmpfs of `size` (the node must be stopped). */
function walOnTmpfs(node: InfluxdServer, size: string): string {
  const wal = join(node.dir, 'wal');
  const old = join(node.dir, 'wal.disk');
  renameSync(wal, old);
  mkdirSync(wal);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', wal], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`this test mounts a tmpfs for a node's WAL and needs root (CAP_SYS_ADMIN): ${(err as Error).message}`);
  }
  cpSync(old, wal, { recursive: true });
  rmSync(old, { recursive: true, force: true });
  return wal;
}

/** Fills the file system of `dir` until ENOSPC. */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return file;
}

describe('a node with a broken (full) disk', () => {
  it('is marked unhealthy by its probe write although /ping answers, and its writes are buffered', async () => {
    // Frequent checks: a full disk still takes the few probe lines that fit in the WAL's last page.
    const c = await t.startCluster({ circles: [1, 1], config: { health: { interval: 100 } } });
    const victim = c.nodes[0]?.[0];
    if (!victim) throw new Error('no node');
    await victim.stop();
    const wal = walOnTmpfs(victim, '16m');
    mounted = { node: victim, dir: wal };
    await victim.restart();
    await waitActive(c.url, victim.name, 30_000);

    const load = t.startLoad({ url: c.url, name: 'disk', measurements: MEASUREMENTS, writers: 4, batchLines: 100, pauseMs: 10 });
    await load.progress(20);
    const filler = fill(wal);
    const filledAt = Date.now();

    // /ping still answers: a /ping-only health check would keep this node.
    expect((await fetch(`${victim.url}/ping`)).status).toBe(204);
    await waitUntil(
      `${victim.name} unhealthy by its probe write, buffering`,
      async () => {
        const n = await nodeHealth(c.url, victim.name);
        return !n.healthy && n.buffering && n.buffered.points > 0 && /^health check: probe write failed: .*no space left on device/.test(n.lastError ?? '');
      },
      60_000,
      async () => JSON.stringify(await nodeHealth(c.url, victim.name)),
    );
    console.log(`probe failed ${Date.now() - filledAt} ms after the disk filled`);
    expect((await fetch(`${victim.url}/ping`)).status).toBe(204);
    // It stays so: every check fails while the disk is full; clients still get 204.
    await load.progress(100);
    const down = await nodeHealth(c.url, victim.name);
    expect(down.healthy).toBe(false);
    expect(down.buffering).toBe(true);
    expect(load.stats().failedAttempts, JSON.stringify(load.stats())).toBe(0);

    // The operator frees space and restarts influxd.
    rmSync(filler);
    await victim.restart();
    await waitActive(c.url, victim.name, 45_000);
    await load.progress(20);
    await expectAckedEverywhere(load, c.nodes, { noFailedAttempts: true, log: { wal: readdirSync(wal) } });
  });
});
