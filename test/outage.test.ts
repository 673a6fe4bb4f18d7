// Node outage under sustained load: while one influxd is stopped (SIGTERM), killed (SIGKILL) or frozen
// (SIGSTOP), every write still gets 204 because the node's share goes to its replay buffer; when the
// node returns the buffer is replayed (also when the node fails again in the middle of it), the node
// becomes active again, and every acknowledged point is on every circle exactly once. And through the
// recovery, a point written twice keeps its last acknowledged value on every circle, with one proxy
// process or several.
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { rows } from './helpers/influx.js';
import { expectAckedEverywhere, faultTest, metric, nodeHealth, nodeHealthOnNewConnection, ownerIn, waitActive, waitBuffering, waitUntil } from './helpers/load.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const MEASUREMENTS = Array.from({ length: 8 }, (_, i) => `outage${i}`);

/** A node stopped with SIGSTOP, to continue in cleanup whatever happens. */
let frozen: number | null = null;

const t = faultTest({
  first() {
    if (frozen !== null) process.kill(frozen, 'SIGCONT');
    frozen = null;
  },
});

describe('node outage under sustained load', () => {
  for (const fault of ['stop', 'kill'] as const) {
    it(`buffers the writes of a node that was ${fault === 'stop' ? 'stopped (SIGTERM)' : 'killed (SIGKILL)'} and replays them when it returns`, async () => {
      const c = await t.startCluster({ circles: [2, 2] });
      // The node taking outage0 in circle A goes down; both nodes of each circle carry load.
      const victim = ownerIn(c.nodes[0] ?? [], 'demo', 'outage0');
      for (const circle of c.nodes) {
        const owners = new Set(MEASUREMENTS.map((m) => ownerIn(circle, 'demo', m).name));
        expect(owners.size, 'every node owns some of the measurements').toBe(circle.length);
      }

      const load = t.startLoad({ url: c.url, name: `outage_${fault}`, measurements: MEASUREMENTS, writers: 4, batchLines: 100 });
      await load.progress(20);

      await (fault === 'stop' ? victim.stop() : victim.kill());
      await waitBuffering(c.url, victim.name);
      // Keep writing while the node is down: its share is buffered, every write is acknowledged.
      await Promise.all([load.progress(100), sleep(3000)]);
      expect(load.stats().failedAttempts, JSON.stringify(load.stats())).toBe(0);
      const buffered = await nodeHealth(c.url, victim.name);
      expect(buffered.buffered.points).toBeGreaterThan(0);
      expect(buffered.buffered.batches).toBeGreaterThan(0);

      await victim.restart();
      await waitActive(c.url, victim.name, 45_000);
      // Writes go live to the node again.
      await load.progress(20);
      const { reports } = await expectAckedEverywhere(load, c.nodes, { label: `outage (${fault} ${victim.name})`, noFailedAttempts: true });
      // The victim holds exactly what its measurements were sent.
      let victimShare = 0;
      for (const [m, points] of load.ackedByMeasurement()) if (ownerIn(c.nodes[0] ?? [], 'demo', m).name === victim.name) victimShare += points;
      expect(victimShare).toBeGreaterThan(0);
      expect(reports[0]?.perNode[victim.name]).toBe(victimShare);

      const bufferedTotal = await metric(c.url, 'influxring_points_buffered_total', { node: victim.name });
      const replayedTotal = await metric(c.url, 'influxring_points_replayed_total', { node: victim.name });
      expect(bufferedTotal).toBeGreaterThan(0);
      expect(replayedTotal).toBeGreaterThan(0);
      expect(replayedTotal).toBeGreaterThanOrEqual(bufferedTotal);
      expect(await metric(c.url, 'influxring_points_rejected_total', { reason: 'replay_rejected' })).toBe(0);
      // Nodes that stayed up never buffered.
      for (const node of c.nodes.flat()) {
        if (node.name === victim.name) continue;
        expect(await metric(c.url, 'influxring_points_buffered_total', { node: node.name }), node.name).toBe(0);
      }
    });
  }

  it('buffers the writes of a frozen node (SIGSTOP: connections open, no answers) and loses nothing when it thaws', async () => {
    // A short node timeout: writes in flight to the frozen node are buffered once it expires.
    const c = await t.startCluster({ circles: [2, 2], config: { write: { nodeTimeout: '3s' } } });
    const victim = ownerIn(c.nodes[0] ?? [], 'demo', 'outage0');
    const load = t.startLoad({ url: c.url, name: 'outage_freeze', measurements: MEASUREMENTS, writers: 4, batchLines: 100 });
    await load.progress(20);
    const pid = victim.process.child.pid;
    if (pid === undefined) throw new Error('no pid');
    process.kill(pid, 'SIGSTOP');
    frozen = pid;
    await waitUntil(
      `${victim.name} unhealthy and buffering`,
      async () => {
        const n = await nodeHealth(c.url, victim.name);
        return !n.healthy && n.buffering && n.buffered.points > 0;
      },
      30_000,
      async () => JSON.stringify(await nodeHealth(c.url, victim.name)),
    );
    await Promise.all([load.progress(100), sleep(2000)]);
    expect(load.stats().failedAttempts, JSON.stringify(load.stats())).toBe(0);
    process.kill(pid, 'SIGCONT');
    frozen = null;
    await waitActive(c.url, victim.name, 45_000);
    await load.progress(20);
    await expectAckedEverywhere(load, c.nodes, { label: 'outage (freeze)', noFailedAttempts: true });
    expect(await metric(c.url, 'influxring_points_buffered_total', { node: victim.name })).toBeGreaterThan(0);
  });

  it('buffers what waits for a node that does not keep up, beyond write.maxPendingBytesPerNode', async () => {
    // The node freezes, and its health check would take 30 s to say so: once more than 128 KiB wait
    // for it (48 writers of ~6 KB requests pile up ~290 KB), its writes — those in flight included —
    // go to the replay buffer and the writers go on.
    const c = await t.startCluster({
      circles: [1, 1],
      config: { write: { maxPendingBytesPerNode: '128KiB', nodeTimeout: '60s' }, health: { timeout: '30s' } },
    });
    const victim = c.nodes[0]?.[0];
    if (victim === undefined) throw new Error('no node');
    const load = t.startLoad({ url: c.url, name: 'outage_slow', measurements: MEASUREMENTS, writers: 48, batchLines: 100 });
    await load.progress(20);
    const pid = victim.process.child.pid;
    if (pid === undefined) throw new Error('no pid');
    process.kill(pid, 'SIGSTOP');
    frozen = pid;
    const frozenAt = Date.now();
    await waitUntil(`${victim.name} buffering`, async () => {
      const n = await nodeHealth(c.url, victim.name);
      return n.buffering && n.buffered.points > 0;
    }, 20_000, async () => JSON.stringify(await nodeHealth(c.url, victim.name)));
    // Writers are not held by the frozen node: they keep getting 204 long before any timeout.
    await load.progress(100, 20_000);
    expect(Date.now() - frozenAt).toBeLessThan(30_000);
    process.kill(pid, 'SIGCONT');
    frozen = null;
    await waitActive(c.url, victim.name, 60_000);
    await load.progress(20);
    await load.stop();
    // Every buffer replayed (a busy node may have had its writes diverted too) before counting.
    for (const node of c.nodes.flat()) await waitActive(c.url, node.name, 60_000);
    await expectAckedEverywhere(load, c.nodes, { label: 'outage (slow node)', noFailedAttempts: true });
  });

  it('keeps the rest of the buffer when the node fails again during its replay', async () => {
    // Small replay batches make the replay last long enough to be interrupted.
    const c = await t.startCluster({ circles: [2, 2], config: { replay: { batchLines: 1000 } } });
    const victim = ownerIn(c.nodes[0] ?? [], 'demo', 'outage0');
    const load = t.startLoad({ url: c.url, name: 'outage_flap', measurements: MEASUREMENTS, writers: 4, batchLines: 100 });
    await load.progress(20);
    await victim.kill();
    await waitUntil(`100k points buffered for ${victim.name}`, async () => (await nodeHealth(c.url, victim.name)).buffered.points >= 100_000, 60_000);
    await victim.restart();
    await waitUntil(`${victim.name} replaying`, async () => (await nodeHealth(c.url, victim.name)).replaying, 20_000, async () =>
      JSON.stringify(await nodeHealth(c.url, victim.name)),
    );
    await victim.kill();
    await waitUntil(`${victim.name} unhealthy again`, async () => {
      const n = await nodeHealth(c.url, victim.name);
      return !n.healthy && !n.replaying && n.buffering;
    }, 20_000);
    await load.progress(100);
    await victim.restart();
    await waitActive(c.url, victim.name, 45_000);
    await load.progress(20);
    await expectAckedEverywhere(load, c.nodes, { label: 'outage (flap during replay)', noFailedAttempts: true });
  });

  for (const processes of [1, 2]) {
    it(`keeps each point's last acknowledged value through a node's recovery (${processes} proxy process${processes > 1 ? 'es' : ''})`, async () => {
      // influxd keeps the last write of a point. A client writes v=1 then, after its 204, v=2 for the
      // same point, each on a new connection (spread over the proxy processes), over and over while a
      // node is down and while it recovers. Once everything is active, every such point must hold v=2 on
      // every circle: an older value replayed over a newer one is a lost acknowledged write.
      const c = await t.startCluster({ circles: [1, 1], proxyProcess: true, config: { processes } });
      const victim = c.nodes[0]?.[0];
      if (!victim) throw new Error('no node');
      const load = t.startLoad({ url: c.url, name: `outage_order${processes}`, measurements: MEASUREMENTS, writers: 4, batchLines: 100 });
      await load.progress(20);
      await victim.stop();
      await waitUntil(`${victim.name} buffering`, async () => (await nodeHealth(c.url, victim.name)).buffered.points > 0, 20_000);
      const pairs = new PairWriter(c.url, `order${processes}`).start();
      try {
        await pairs.progress(100);
        await victim.restart();
        await waitUntil(
          `${victim.name} active in every proxy process`,
          async () => {
            for (let i = 0; i < 3 * processes; i++) if (!(await nodeHealthOnNewConnection(c.url, victim.name)).active) return false;
            return true;
          },
          45_000,
          async () => JSON.stringify(await nodeHealthOnNewConnection(c.url, victim.name)),
        );
        await pairs.progress(100);
      } finally {
        await pairs.stop();
      }
      await load.stop();
      for (const node of c.nodes.flat()) {
        const values = await rows(node.url, 'demo', `SELECT "v", "r" FROM "${pairs.measurement}"`);
        const done = values.filter((row) => Number(row[2]) < pairs.completed);
        const older = done.filter((row) => row[1] !== 2);
        console.log(`order (${processes} processes) on ${node.name}: ${pairs.completed} points, ${older.length} with the older value`);
        expect(done, node.name).toHaveLength(pairs.completed);
        expect(older.length, `${node.name}: points holding the older value v=1 after a later v=2 was acknowledged, e.g. ${JSON.stringify(older.slice(0, 3))}`).toBe(0);
      }
    });
  }
});

/** Writes v=1 then v=2 for one point after another, each write on a new connection, retried until 204. */
class PairWriter {
  readonly measurement: string;
  completed = 0;
  readonly #url: string;
  readonly #base = BigInt(Date.now()) * 1_000_000n;
  #stopped = false;
  #running: Promise<void> | null = null;

  constructor(url: string, measurement: string) {
    this.#url = url;
    this.measurement = measurement;
  }

  start(): this {
    this.#running = this.#run();
    return this;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }

  async progress(points: number): Promise<void> {
    const target = this.completed + points;
    await waitUntil(`${points} more points written twice`, () => this.completed >= target, 30_000);
  }

  async #run(): Promise<void> {
    for (let r = 0; !this.#stopped; r++) {
      const ts = this.#base + BigInt(r);
      if (!(await this.#send(`${this.measurement},writer=pairs v=1i,r=${r}i ${ts}\n`))) return;
      if (!(await this.#send(`${this.measurement},writer=pairs v=2i,r=${r}i ${ts}\n`))) return;
      this.completed = r + 1;
    }
  }

  /** True once acknowledged; false when stopped first. */
  async #send(body: string): Promise<boolean> {
    while (!this.#stopped) {
      try {
        const response = await request(`${this.#url}/write?db=demo`, { method: 'POST', body, reset: true });
        await response.body.text();
        if (response.statusCode === 204) return true;
      } catch {
        // retried
      }
      await sleep(20);
    }
    return false;
  }
}
