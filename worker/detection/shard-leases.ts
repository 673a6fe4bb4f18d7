// Which detection shards this worker process owns: each shard has a lease in Redis (SET NX PX, value =
// a fencing token from a counter), renewed every third of its TTL. The live workers (a heartbeat hash)
// share the shards evenly: a worker over its share releases the extra ones, one under it takes free
// ones; a worker that dies loses its shards when their leases expire. A shard is processed only while
// its lease holds, and the owner's writes about it are fenced by the token.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { withLeaseCommands, type LeaseCommands } from '../../proxy/lease-scripts.js';
import type { RedisClient } from '../../proxy/redis.js';
import type { RedisKeys } from '../../proxy/redis-keys.js';

export interface ShardOwner {
  /** This worker now owns `shard` with `token`. */
  acquired(shard: number, token: string): Promise<void>;
  /** This worker no longer owns `shard` (released, or the lease was lost). */
  lost(shard: number): Promise<void>;
}

export class ShardLeases {
  readonly id = `${hostname()}:${process.pid}`;
  readonly #redis: RedisClient & LeaseCommands;
  readonly #keys: RedisKeys;
  readonly #shards: number;
  readonly #ttl: number;
  readonly #owner: ShardOwner;
  readonly #log: Logger;
  readonly #owned = new Map<number, string>();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(redis: RedisClient, keys: RedisKeys, shards: number, ttlMs: number, owner: ShardOwner, log: Logger) {
    this.#redis = withLeaseCommands(redis);
    this.#keys = keys;
    this.#shards = shards;
    this.#ttl = ttlMs;
    this.#owner = owner;
    this.#log = log;
  }

  start(): void {
    const tick = (): void => {
      this.#running = this.#running.then(() => this.#balance()).catch((err: Error) => this.#log.warn({ err: err.message }, 'shard leases: a round failed'));
      if (!this.#stopped) {
        this.#timer = setTimeout(tick, Math.max(100, Math.floor(this.#ttl / 3)));
        this.#timer.unref();
      }
    };
    tick();
  }

  async #balance(): Promise<void> {
    if (this.#stopped) return;
    const now = Date.now();
    await this.#redis.hset(this.#keys.detectionWorkers(), this.id, String(now));
    const workers = await this.#redis.hgetall(this.#keys.detectionWorkers());
    const live = Object.entries(workers).filter(([id, at]) => {
      if (now - Number(at) <= this.#ttl) return true;
      void this.#redis.hdel(this.#keys.detectionWorkers(), id).catch(() => 0);
      return false;
    });
    const share = Math.ceil(this.#shards / Math.max(1, live.length));
    for (const [shard, token] of [...this.#owned]) {
      const renewed = await this.#redis.irxLeaseRenew(this.#keys.detectionLease(shard), token, this.#ttl);
      if (renewed !== 1) await this.#drop(shard, 'lease lost');
    }
    for (const shard of [...this.#owned.keys()].slice(share)) {
      // Given up first, so its last save is still under the lease; then released for the next owner.
      const token = this.#owned.get(shard) as string;
      await this.#drop(shard, 'released for another worker');
      await this.#redis.irxLeaseRelease(this.#keys.detectionLease(shard), token);
    }
    if (this.#owned.size >= share) return;
    // Free shards, from a place of our own so that workers starting together do not collide.
    const offset = Math.abs([...this.id].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261)) % this.#shards;
    for (let i = 0; i < this.#shards && this.#owned.size < share && !this.#stopped; i++) {
      const shard = (offset + i) % this.#shards;
      if (this.#owned.has(shard)) continue;
      // The lease's value: a fencing token from the counter, and who holds it (for people and tests).
      const token = `${String(await this.#redis.incr(this.#keys.detectionFence()))} ${this.id}`;
      if ((await this.#redis.set(this.#keys.detectionLease(shard), token, 'PX', this.#ttl, 'NX')) !== 'OK') continue;
      this.#owned.set(shard, token);
      this.#log.info({ shard, token }, 'shard acquired');
      await this.#owner.acquired(shard, token);
    }
  }

  async #drop(shard: number, why: string): Promise<void> {
    this.#owned.delete(shard);
    this.#log.info({ shard, why }, 'shard given up');
    await this.#owner.lost(shard);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.#running;
    for (const [shard, token] of [...this.#owned]) {
      await this.#owner.lost(shard);
      this.#owned.delete(shard);
      await this.#redis.irxLeaseRelease(this.#keys.detectionLease(shard), token).catch(() => 0);
    }
    await this.#redis.hdel(this.#keys.detectionWorkers(), this.id).catch(() => 0);
  }
}
