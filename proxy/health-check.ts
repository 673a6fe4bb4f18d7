// Health of every node, checked every `health.interval`: a /ping and a probe write into the proxy's own
// database (a node with a broken disk still answers /ping). It also reads the node's replay buffer
// totals from Redis, decides whether writes go live or to the buffer, and starts the replay. Nodes
// that join the topology are checked from then on; a node out for maintenance is not checked (it
// counts as down until it is back).
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Catalog } from './catalog.js';
import type { KnownDatabases } from './known-databases.js';
import type { Metrics } from './metrics.js';
import type { InfluxNode } from './node.js';
import type { ReplayBuffer } from './replay-buffer.js';
import type { Cluster } from './cluster.js';
import { clusterVersion } from './version.js';

export class HealthChecker {
  readonly #cluster: Cluster;
  readonly #buffer: ReplayBuffer;
  /** Nodes with a check timer running. */
  readonly #checked = new Set<InfluxNode>();
  readonly #known: KnownDatabases;
  readonly #catalog: Catalog;
  readonly #options: Config['health'];
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #probeLine: Buffer;
  readonly #timers = new Set<NodeJS.Timeout>();
  #stopped = false;

  constructor(
    cluster: Cluster,
    buffer: ReplayBuffer,
    known: KnownDatabases,
    catalog: Catalog,
    options: Config['health'],
    metrics: Metrics,
    log: Logger,
  ) {
    this.#cluster = cluster;
    this.#buffer = buffer;
    this.#known = known;
    this.#catalog = catalog;
    this.#options = options;
    this.#metrics = metrics;
    this.#log = log;
    const proxy = `${hostname()}-${process.pid}`.replace(/[ ,=\\]/g, '_');
    this.#probeLine = Buffer.from(`influxring_probe,proxy=${proxy} ok=1i\n`);
  }

  /** Checks every node once, then keeps checking each on its own timer, also nodes that join later. */
  async start(): Promise<void> {
    await Promise.all(this.#cluster.nodes.map((node) => this.check(node)));
    await this.#known.refresh().catch(() => undefined);
    this.#follow(true);
    this.#cluster.onChange(() => this.#follow(false));
    this.#every(this.#options.catalogRefresh, () => this.#known.refresh());
  }

  /**
   * A check timer for every node of the topology (a node that joins is checked at once, the others
   * were just checked by start); a node that left stops at its next turn.
   */
  #follow(justChecked: boolean): void {
    if (this.#stopped) return;
    for (const node of this.#cluster.nodes) {
      if (this.#checked.has(node)) continue;
      this.#checked.add(node);
      const loop = (): void => {
        this.#after(this.#options.interval, async () => {
          if (!this.#cluster.nodes.includes(node)) {
            this.#checked.delete(node);
            this.#metrics.forget(node);
            return;
          }
          await this.check(node);
          loop();
        });
      };
      if (justChecked) loop();
      else void this.check(node).finally(loop);
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #every(ms: number, task: () => Promise<void>): void {
    this.#after(ms, async () => {
      await task();
      this.#every(ms, task);
    });
  }

  /** Runs `task` once after `ms`, unless stopped. */
  #after(ms: number, task: () => Promise<void>): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#stopped) return;
      void task().catch((err: unknown) => this.#log.error({ err }, 'periodic task failed'));
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }

  async check(node: InfluxNode): Promise<void> {
    const [alive, stats] = await Promise.allSettled([
      node.maintenance ? Promise.reject(new Error('out for maintenance')) : this.#probe(node),
      this.#buffer.stats(node.name),
    ]);
    if (stats.status === 'fulfilled') {
      const { buffering, ...totals } = stats.value;
      Object.assign(node.buffered, totals);
      // Redis decides whether writes go live: `buffering` lasts until the buffer is replayed.
      // Without an answer from Redis the last known state stays (never live over a buffer).
      node.buffering = buffering;
    } else {
      this.#metrics.redisErrors.labels('replay_stats').inc();
    }
    if (alive.status === 'fulfilled') {
      if (!node.healthy) this.#log.info({ node: node.name }, 'node is healthy again');
      node.healthy = true;
      if (node.buffering && stats.status === 'fulfilled') void this.#replay(node);
    } else {
      const reason = (alive.reason as Error).message;
      if (node.healthy) {
        this.#log.warn({ node: node.name, reason }, 'node failed its health check; buffering its writes');
        node.abortInFlight(`node ${node.name} failed its health check: ${reason}`);
      }
      node.healthy = false;
      node.recordError(`health check: ${reason}`);
    }
    this.#metrics.observeNode(node);
    this.#cluster.influxdbVersion = clusterVersion(this.#cluster.nodes);
  }

  async #replay(node: InfluxNode): Promise<void> {
    if (!this.#cluster.nodes.includes(node)) return;
    await this.#cluster.parts(node).replayer.run();
  }

  /**
   * Ping, then a write into the proxy's own database (created when missing), then the catalog: a node
   * that has not applied every catalog statement yet is not healthy (it must not take writes for a
   * database it lacks).
   */
  async #probe(node: InfluxNode): Promise<void> {
    const timeout = this.#options.timeout;
    await node.ping(timeout);
    const write = { db: this.#options.probeDatabase, rp: '', precision: 's', body: this.#probeLine, gzipped: false };
    let outcome = await node.write(write, timeout);
    if (outcome.kind === 'rejected' && outcome.status === 404) {
      const created = await node.query(`CREATE DATABASE "${this.#options.probeDatabase}" WITH DURATION 1h NAME "probe"`, timeout);
      if (created.status !== 200) throw new Error(`cannot create the probe database: ${created.body}`);
      outcome = await node.write(write, timeout);
    }
    if (outcome.kind !== 'accepted') {
      const why = outcome.kind === 'unavailable' ? outcome.reason : outcome.kind === 'rejected' ? outcome.error : outcome.kind;
      throw new Error(`probe write failed: ${why}`);
    }
    let converged: boolean;
    try {
      converged = await this.#catalog.converge(node);
    } catch {
      // Redis is away: the catalog cannot be read, which must not hold a working node back.
      converged = true;
    }
    if (!converged) throw new Error(`catalog: ${node.catalogBehind} statement(s) not applied yet`);
  }
}
