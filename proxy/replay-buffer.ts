// The replay buffer: per node, an ordered list in Redis of the batches the node has not accepted yet,
// capped in bytes. A batch is in the buffer before the client gets its 204, so a proxy can die at
// any moment without losing acknowledged data. One process at a time replays a node (a lease with a
// token); it trims the head only while it still holds the lease.
import { withLeaseCommands, type LeaseCommands } from './lease-scripts.js';
import type { RedisClient } from './redis.js';
import type { RedisKeys } from './redis-keys.js';
import type { BufferedStats } from './node.js';

/**
 * One buffered batch: where it goes and its line protocol (gzip or plain), ending with a newline — or,
 * with `statement`, an InfluxQL statement that changes data (DELETE, DROP …, SELECT … INTO), kept in
 * order with the writes.
 */
export interface BufferedBatch {
  readonly db: string;
  readonly rp: string;
  readonly precision: string;
  readonly points: number;
  readonly enqueuedAt: number;
  readonly gzipped: boolean;
  readonly statement?: boolean;
  readonly payload: Buffer;
}

/** A batch read back from the buffer, with its encoded size (for the byte totals). */
export interface StoredBatch extends BufferedBatch {
  readonly size: number;
}

const ENTRY_VERSION = 1;
const FLAG_GZIP = 1;
const FLAG_STATEMENT = 2;

export function encodeEntry(batch: BufferedBatch): Buffer {
  const db = Buffer.from(batch.db);
  const rp = Buffer.from(batch.rp);
  const precision = Buffer.from(batch.precision);
  const header = Buffer.allocUnsafe(14 + 2 + db.length + 2 + rp.length + 1 + precision.length);
  let at = header.writeUInt8(ENTRY_VERSION, 0);
  at = header.writeUInt8((batch.gzipped ? FLAG_GZIP : 0) | (batch.statement === true ? FLAG_STATEMENT : 0), at);
  at = header.writeUInt32BE(batch.points, at);
  at = header.writeDoubleBE(batch.enqueuedAt, at);
  at = header.writeUInt16BE(db.length, at);
  at += db.copy(header, at);
  at = header.writeUInt16BE(rp.length, at);
  at += rp.copy(header, at);
  at = header.writeUInt8(precision.length, at);
  precision.copy(header, at);
  return Buffer.concat([header, batch.payload]);
}

export function decodeEntry(entry: Buffer): StoredBatch {
  if (entry.readUInt8(0) !== ENTRY_VERSION) throw new Error(`unknown replay entry version ${entry.readUInt8(0)}`);
  const gzipped = (entry.readUInt8(1) & FLAG_GZIP) !== 0;
  const statement = (entry.readUInt8(1) & FLAG_STATEMENT) !== 0;
  const points = entry.readUInt32BE(2);
  const enqueuedAt = entry.readDoubleBE(6);
  let at = 14;
  const dbLength = entry.readUInt16BE(at);
  const db = entry.toString('utf8', at + 2, at + 2 + dbLength);
  at += 2 + dbLength;
  const rpLength = entry.readUInt16BE(at);
  const rp = entry.toString('utf8', at + 2, at + 2 + rpLength);
  at += 2 + rpLength;
  const precisionLength = entry.readUInt8(at);
  const precision = entry.toString('utf8', at + 1, at + 1 + precisionLength);
  at += 1 + precisionLength;
  return { db, rp, precision, points, enqueuedAt, gzipped, ...(statement ? { statement } : {}), payload: entry.subarray(at), size: entry.length };
}

// The node's state key: `buffering` while its writes must go to its buffer; `draining` while the
// replayer sends the last entries (writes wait briefly, so none overtakes them); absent when writes go
// live. Invariant: the state is absent only when the buffer is empty.

// PUSH — KEYS: entries, times, totals, state. ARGV: entry, enqueuedAt, byte cap, points, kind.
// kind `failed`: the node could not take the batch; it is stored and the state becomes `buffering`
// (also from `draining`: the replay goes on). kind `divert`: the node was not tried because this
// process believes it is buffering; stored if the state is `buffering`, refused with -3 while
// `draining` (wait and push again), refused with -2 when live (send it to the node).
// Returns the new length, -1 when the entry would take the buffer over its cap, -2 / -3 as said.
const PUSH = `
local state = redis.call('GET', KEYS[4])
if ARGV[5] == 'divert' then
  if state == 'draining' then return -3 end
  if state ~= 'buffering' then return -2 end
end
local bytes = tonumber(redis.call('HGET', KEYS[3], 'bytes') or '0')
local size = string.len(ARGV[1])
if bytes + size > tonumber(ARGV[3]) then return -1 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('HINCRBY', KEYS[3], 'bytes', size)
redis.call('HINCRBY', KEYS[3], 'points', tonumber(ARGV[4]))
redis.call('SET', KEYS[4], 'buffering')
return redis.call('LLEN', KEYS[1])
`;

// DRAIN — KEYS: state, lock. ARGV: token. The replayer has reached the end of the buffer: new writes
// now wait (instead of queueing behind it) while it sends the last entries. Returns 1, or -1 when the
// lease is lost.
const DRAIN = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
if redis.call('GET', KEYS[1]) == 'buffering' then redis.call('SET', KEYS[1], 'draining') end
return 1
`;

// GO_LIVE — KEYS: entries, state, lock. ARGV: token. Ends buffering if the caller holds the lease, the
// buffer is empty and no failed push came since DRAIN (which would have set `buffering` again).
// Returns 1 (live), 0 (not yet), -1 (lease lost).
const GO_LIVE = `
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return -1 end
if redis.call('LLEN', KEYS[1]) > 0 then return 0 end
if redis.call('GET', KEYS[2]) == 'buffering' then return 0 end
redis.call('DEL', KEYS[2])
return 1
`;

// TRIM — KEYS: entries, times, totals, lock. ARGV: token, count, bytes, points.
// Removes the first `count` entries if the caller still holds the lease. Returns the entries left,
// or -1 when the lease is lost (another process replays now; nothing is removed).
const TRIM = `
if redis.call('GET', KEYS[4]) ~= ARGV[1] then return -1 end
local count = tonumber(ARGV[2])
redis.call('LTRIM', KEYS[1], count, -1)
redis.call('LTRIM', KEYS[2], count, -1)
local left = redis.call('LLEN', KEYS[1])
if left == 0 then
  redis.call('DEL', KEYS[3])
else
  redis.call('HINCRBY', KEYS[3], 'bytes', 0 - tonumber(ARGV[3]))
  redis.call('HINCRBY', KEYS[3], 'points', 0 - tonumber(ARGV[4]))
end
return left
`;

/** Why a batch is pushed: the node failed it, or it was not tried because the node is buffering. */
export type PushKind = 'failed' | 'divert';

interface ReplayCommands {
  irxReplayPush(
    entries: string,
    times: string,
    totals: string,
    state: string,
    entry: Buffer,
    enqueuedAt: number,
    cap: number,
    points: number,
    kind: PushKind,
  ): Promise<number>;
  irxReplayDrain(state: string, lock: string, token: string): Promise<number>;
  irxReplayGoLive(entries: string, state: string, lock: string, token: string): Promise<number>;
  irxReplayTrim(entries: string, times: string, totals: string, lock: string, token: string, count: number, bytes: number, points: number): Promise<number>;
}

export class ReplayBuffer {
  readonly #redis: RedisClient & ReplayCommands & LeaseCommands;
  readonly #keys: RedisKeys;
  readonly #maxBytes: number;

  constructor(redis: RedisClient, keys: RedisKeys, maxBytesPerNode: number) {
    redis.defineCommand('irxReplayPush', { numberOfKeys: 4, lua: PUSH });
    redis.defineCommand('irxReplayDrain', { numberOfKeys: 2, lua: DRAIN });
    redis.defineCommand('irxReplayGoLive', { numberOfKeys: 3, lua: GO_LIVE });
    redis.defineCommand('irxReplayTrim', { numberOfKeys: 4, lua: TRIM });
    this.#redis = withLeaseCommands(redis) as RedisClient & ReplayCommands & LeaseCommands;
    this.#keys = keys;
    this.#maxBytes = maxBytesPerNode;
  }

  /**
   * Stores a batch at the tail: 'stored'; 'full' when the node's cap would be exceeded; 'live' when
   * a `divert` push finds the node live again, 'wait' when it finds the buffer draining (nothing
   * stored in either case). Throws when Redis fails.
   */
  async push(node: string, batch: BufferedBatch, kind: PushKind): Promise<'stored' | 'full' | 'live' | 'wait'> {
    const k = this.#keys;
    const result = await this.#redis.irxReplayPush(
      k.replayEntries(node),
      k.replayTimes(node),
      k.replayTotals(node),
      k.replayState(node),
      encodeEntry(batch),
      batch.enqueuedAt,
      this.#maxBytes,
      batch.points,
      kind,
    );
    return result === -1 ? 'full' : result === -2 ? 'live' : result === -3 ? 'wait' : 'stored';
  }

  /** The replayer reached the end of the buffer: new writes wait while it sends the last entries. */
  async drain(node: string, token: string): Promise<'draining' | 'lease-lost'> {
    const k = this.#keys;
    return (await this.#redis.irxReplayDrain(k.replayState(node), k.replayLock(node), token)) === 1 ? 'draining' : 'lease-lost';
  }

  /** Ends buffering if the caller holds the lease, the buffer is empty and no failed push came since drain(). */
  async goLive(node: string, token: string): Promise<'live' | 'not-empty' | 'lease-lost'> {
    const k = this.#keys;
    const result = await this.#redis.irxReplayGoLive(k.replayEntries(node), k.replayState(node), k.replayLock(node), token);
    return result === 1 ? 'live' : result === 0 ? 'not-empty' : 'lease-lost';
  }

  /** The oldest `count` batches, oldest first. */
  async read(node: string, count: number): Promise<StoredBatch[]> {
    const entries = await this.#redis.lrangeBuffer(this.#keys.replayEntries(node), 0, count - 1);
    return entries.map(decodeEntry);
  }

  /** Removes the oldest batches after they were replayed; -1 when the lease was lost. */
  async trim(node: string, token: string, batches: readonly StoredBatch[]): Promise<number> {
    const k = this.#keys;
    let bytes = 0;
    let points = 0;
    for (const batch of batches) {
      bytes += batch.size;
      points += batch.points;
    }
    return this.#redis.irxReplayTrim(
      k.replayEntries(node),
      k.replayTimes(node),
      k.replayTotals(node),
      k.replayLock(node),
      token,
      batches.length,
      bytes,
      points,
    );
  }

  /** The buffer's totals, and whether the node's writes must go to it (`buffering`). */
  async stats(node: string): Promise<BufferedStats & { buffering: boolean }> {
    const k = this.#keys;
    const [entries, totals, oldest, state] = await Promise.all([
      this.#redis.llen(k.replayEntries(node)),
      this.#redis.hmget(k.replayTotals(node), 'bytes', 'points'),
      this.#redis.lindex(k.replayTimes(node), 0),
      this.#redis.get(k.replayState(node)),
    ]);
    return {
      entries,
      bytes: Number(totals[0] ?? 0),
      points: Number(totals[1] ?? 0),
      oldestAt: oldest === null ? null : Number(oldest),
      buffering: state === 'buffering' || state === 'draining',
    };
  }

  /** Removes everything kept for a node that left the topology. */
  async forget(node: string): Promise<void> {
    const k = this.#keys;
    await this.#redis.del(k.replayEntries(node), k.replayTimes(node), k.replayTotals(node), k.replayState(node), k.replayLock(node));
  }

  /** Takes the replay lease of a node; false when another process holds it. */
  async acquire(node: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.set(this.#keys.replayLock(node), token, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async renew(node: string, token: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.irxLeaseRenew(this.#keys.replayLock(node), token, ttlMs)) === 1;
  }

  async release(node: string, token: string): Promise<void> {
    await this.#redis.irxLeaseRelease(this.#keys.replayLock(node), token);
  }
}
