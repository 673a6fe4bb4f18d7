// The replay buffer against a real redis-server: entries survive encoding byte for byte, stay in
// order, never exceed the byte cap, keep exact totals, and only the holder of the lease can remove
// them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../deploy/local/redis-server.js';
import { RedisKeys } from '../proxy/redis-keys.js';
import { createRedis, waitForRedis, type RedisClient } from '../proxy/redis.js';
import { ReplayBuffer, decodeEntry, encodeEntry, type BufferedBatch } from '../proxy/replay-buffer.js';

let dir = '';
let server: RedisServer | undefined;
let redis: RedisClient | undefined;
let prefixes = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'influxring-replay-'));
  server = await startRedis({ dir: join(dir, 'redis') });
  redis = createRedis(
    { mode: 'standalone', url: server.url, nodes: [], sentinelName: 'mymaster', password: '', keyPrefix: 'unused' },
    'replay-buffer-test',
  );
  expect(await waitForRedis(redis, 10_000)).toBe(true);
});

afterAll(async () => {
  await redis?.quit();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function client(): RedisClient {
  if (!redis) throw new Error('redis did not start');
  return redis;
}

/** A buffer with keys no other test uses. */
function buffer(maxBytes = 1024 * 1024): { replay: ReplayBuffer; keys: RedisKeys } {
  const keys = new RedisKeys(`test-replay-${process.pid}-${++prefixes}`);
  return { replay: new ReplayBuffer(client(), keys, maxBytes), keys };
}

function batch(n: number, extra: Partial<BufferedBatch> = {}): BufferedBatch {
  const lines = Array.from({ length: n }, (_, i) => `m,n=${i} v=${i}`).join('\n');
  return { db: 'demo', rp: '', precision: 'n', points: n, enqueuedAt: 1_700_000_000_000 + n, gzipped: false, payload: Buffer.from(`${lines}\n`), ...extra };
}

describe('encodeEntry / decodeEntry', () => {
  const rows: { name: string; batch: BufferedBatch }[] = [
    { name: 'a plain batch', batch: batch(3) },
    {
      name: 'a gzipped batch keeps its flag and bytes',
      batch: { ...batch(5), gzipped: true, payload: gzipSync('m v=1\nm v=2\n') },
    },
    {
      name: 'utf-8 database and retention policy names',
      batch: { ...batch(1), db: 'données_ünï', rp: '一年', precision: 'ms' },
    },
    {
      name: 'a fractional enqueue time and a large point count',
      batch: { ...batch(1), enqueuedAt: 1_700_000_000_123.5, points: 4_000_000_000 },
    },
    {
      name: 'an empty payload and empty names',
      batch: { db: '', rp: '', precision: '', points: 0, enqueuedAt: 0, gzipped: false, payload: Buffer.alloc(0) },
    },
    {
      name: 'a payload holding every byte value',
      batch: { ...batch(1), gzipped: true, payload: Buffer.from(Array.from({ length: 256 }, (_, i) => i)) },
    },
  ];

  it.each(rows)('round trip: $name', ({ batch: original }) => {
    const encoded = encodeEntry(original);
    const decoded = decodeEntry(encoded);
    expect({ ...decoded, payload: Buffer.from(decoded.payload) }).toEqual({ ...original, payload: Buffer.from(original.payload), size: encoded.length });
  });

  it('refuses an entry of an unknown version', () => {
    const encoded = encodeEntry(batch(1));
    encoded.writeUInt8(99, 0);
    expect(() => decodeEntry(encoded)).toThrow('unknown replay entry version 99');
  });
});

describe('ReplayBuffer', () => {
  it('reads batches back oldest first, as pushed', async () => {
    const { replay } = buffer();
    const pushed = [batch(1), batch(2, { db: 'other', gzipped: true, payload: gzipSync('x v=1\n') }), batch(3, { rp: 'week' })];
    for (const b of pushed) expect(await replay.push('a1', b, 'failed')).toBe('stored');
    const all = await replay.read('a1', 10);
    expect(all.map(({ size: _size, ...rest }) => ({ ...rest, payload: Buffer.from(rest.payload) }))).toEqual(pushed);
    expect((await replay.read('a1', 2)).map((b) => b.points)).toEqual([1, 2]);
  });

  it('keeps each node\'s batches apart', async () => {
    const { replay } = buffer();
    await replay.push('a1', batch(1), 'failed');
    await replay.push('a2', batch(2), 'failed');
    await replay.push('a1', batch(3), 'failed');
    expect((await replay.read('a1', 10)).map((b) => b.points)).toEqual([1, 3]);
    expect((await replay.read('a2', 10)).map((b) => b.points)).toEqual([2]);
  });

  it('keeps exact stats: entries, points, bytes and the oldest enqueue time', async () => {
    const { replay } = buffer();
    expect(await replay.stats('a1')).toEqual({ entries: 0, points: 0, bytes: 0, oldestAt: null, buffering: false });
    const pushed = [batch(4, { enqueuedAt: 1000 }), batch(6, { enqueuedAt: 2000 }), batch(1, { enqueuedAt: 3000 })];
    for (const b of pushed) await replay.push('a1', b, 'failed');
    expect(await replay.stats('a1')).toEqual({
      entries: 3,
      points: 11,
      bytes: pushed.reduce((sum, b) => sum + encodeEntry(b).length, 0),
      oldestAt: 1000,
      buffering: true,
    });
  });

  it('takes a batch that fills the cap exactly, and answers full (storing nothing) beyond it', async () => {
    const first = batch(2);
    const second = batch(3);
    const cap = encodeEntry(first).length + encodeEntry(second).length;
    const { replay } = buffer(cap);
    expect(await replay.push('a1', first, 'failed')).toBe('stored');
    expect(await replay.push('a1', second, 'failed')).toBe('stored');
    const full = await replay.stats('a1');
    expect(full.bytes).toBe(cap);

    expect(await replay.push('a1', batch(1), 'failed')).toBe('full');
    expect(await replay.stats('a1')).toEqual(full);
    expect((await replay.read('a1', 10)).map((b) => b.points)).toEqual([2, 3]);
  });

  it('answers full for a batch larger than the whole cap of an empty buffer', async () => {
    const big = batch(50);
    const { replay } = buffer(encodeEntry(big).length - 1);
    expect(await replay.push('a1', big, 'failed')).toBe('full');
    expect(await replay.stats('a1')).toEqual({ entries: 0, points: 0, bytes: 0, oldestAt: null, buffering: false });
  });

  it('trims the replayed head and lowers the totals by exactly what was removed', async () => {
    const { replay } = buffer();
    const pushed = [batch(1, { enqueuedAt: 10 }), batch(2, { enqueuedAt: 20 }), batch(3, { enqueuedAt: 30 })];
    for (const b of pushed) await replay.push('a1', b, 'failed');
    expect(await replay.acquire('a1', 'me', 10_000)).toBe(true);
    const head = await replay.read('a1', 2);
    expect(await replay.trim('a1', 'me', head)).toBe(1);
    expect(await replay.stats('a1')).toEqual({ entries: 1, points: 3, bytes: encodeEntry(pushed[2] as BufferedBatch).length, oldestAt: 30, buffering: true });
    expect((await replay.read('a1', 10)).map((b) => b.points)).toEqual([3]);
  });

  it('trimming to empty resets the totals (no drift for the next pushes)', async () => {
    const { replay, keys } = buffer();
    await replay.push('a1', batch(1), 'failed');
    await replay.push('a1', batch(2), 'failed');
    expect(await replay.acquire('a1', 'me', 10_000)).toBe(true);
    expect(await replay.trim('a1', 'me', await replay.read('a1', 10))).toBe(0);
    // Empty, but still buffering until the replayer ends it (goLive).
    expect(await replay.stats('a1')).toEqual({ entries: 0, points: 0, bytes: 0, oldestAt: null, buffering: true });
    expect(await client().exists(keys.replayTotals('a1'), keys.replayEntries('a1'), keys.replayTimes('a1'))).toBe(0);

    const next = batch(5, { enqueuedAt: 5000 });
    await replay.push('a1', next, 'failed');
    expect(await replay.stats('a1')).toEqual({ entries: 1, points: 5, bytes: encodeEntry(next).length, oldestAt: 5000, buffering: true });
  });

  it('trimming to empty resets totals a wrong trim count left behind', async () => {
    // The totals are bookkeeping next to the list: if they ever drift (here: a trim told about
    // fewer bytes and points than it removed), emptying the buffer must bring them back to zero.
    const { replay } = buffer();
    await replay.push('a1', batch(1), 'failed');
    await replay.push('a1', batch(2), 'failed');
    expect(await replay.acquire('a1', 'me', 10_000)).toBe(true);
    const [first, second] = await replay.read('a1', 2);
    if (!first || !second) throw new Error('two batches expected');
    expect(await replay.trim('a1', 'me', [{ ...first, size: first.size - 1, points: first.points + 1 }])).toBe(1);
    expect(await replay.stats('a1')).toMatchObject({ entries: 1, bytes: second.size + 1, points: second.points - 1 });
    expect(await replay.trim('a1', 'me', [second])).toBe(0);
    expect(await replay.stats('a1')).toEqual({ entries: 0, points: 0, bytes: 0, oldestAt: null, buffering: true });
  });

  it('trims a batch of 0 points while other batches remain', async () => {
    // push() takes a batch of 0 points, so trim() must be able to remove it again.
    const { replay } = buffer();
    await replay.push('a1', batch(1, { points: 0 }), 'failed');
    await replay.push('a1', batch(2), 'failed');
    expect(await replay.acquire('a1', 'me', 10_000)).toBe(true);
    expect(await replay.trim('a1', 'me', await replay.read('a1', 1))).toBe(1);
    expect(await replay.stats('a1')).toMatchObject({ entries: 1, points: 2 });
  });
});

describe('the replay lease', () => {
  it('is exclusive: a second process cannot take it while it is held', async () => {
    const { replay } = buffer();
    expect(await replay.acquire('a1', 'proxy-1', 10_000)).toBe(true);
    expect(await replay.acquire('a1', 'proxy-2', 10_000)).toBe(false);
    expect(await replay.acquire('a1', 'proxy-1', 10_000)).toBe(false);
    // another node's lease is separate
    expect(await replay.acquire('a2', 'proxy-2', 10_000)).toBe(true);
  });

  it('a trim with a token that does not hold the lease returns -1 and removes nothing', async () => {
    const { replay } = buffer();
    await replay.push('a1', batch(1), 'failed');
    await replay.push('a1', batch(2), 'failed');
    const before = await replay.stats('a1');
    const head = await replay.read('a1', 1);
    // nobody holds it
    expect(await replay.trim('a1', 'proxy-1', head)).toBe(-1);
    // someone else holds it
    expect(await replay.acquire('a1', 'proxy-2', 10_000)).toBe(true);
    expect(await replay.trim('a1', 'proxy-1', head)).toBe(-1);
    expect(await replay.stats('a1')).toEqual(before);
    expect((await replay.read('a1', 10)).map((b) => b.points)).toEqual([1, 2]);
  });

  it('fences a holder whose lease expired and was taken over', async () => {
    const { replay } = buffer();
    await replay.push('a1', batch(1), 'failed');
    expect(await replay.acquire('a1', 'slow', 100)).toBe(true);
    const head = await replay.read('a1', 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await replay.acquire('a1', 'fast', 10_000)).toBe(true);
    expect(await replay.trim('a1', 'slow', head)).toBe(-1);
    expect(await replay.renew('a1', 'slow', 10_000)).toBe(false);
    expect((await replay.stats('a1')).entries).toBe(1);
  });

  it('only the holder can renew it', async () => {
    const { replay, keys } = buffer();
    expect(await replay.acquire('a1', 'proxy-1', 1000)).toBe(true);
    expect(await replay.renew('a1', 'proxy-2', 60_000)).toBe(false);
    expect(await client().pttl(keys.replayLock('a1'))).toBeLessThanOrEqual(1000);
    expect(await replay.renew('a1', 'proxy-1', 60_000)).toBe(true);
    expect(await client().pttl(keys.replayLock('a1'))).toBeGreaterThan(1000);
    expect(await replay.renew('a2', 'proxy-1', 60_000)).toBe(false);
  });

  it('only the holder can release it', async () => {
    const { replay } = buffer();
    expect(await replay.acquire('a1', 'proxy-1', 10_000)).toBe(true);
    await replay.release('a1', 'proxy-2');
    expect(await replay.acquire('a1', 'proxy-2', 10_000)).toBe(false);
    await replay.release('a1', 'proxy-1');
    expect(await replay.acquire('a1', 'proxy-2', 10_000)).toBe(true);
  });
});

describe('ReplayBuffer live/buffering state', () => {
  // The state in Redis decides, for every proxy process at once, whether a node's writes go live or
  // to its buffer: no write may land in the buffer behind a newer write that went live.
  it('refuses a divert push while the node is live, and stores nothing', async () => {
    const { replay } = buffer();
    expect(await replay.push('a1', batch(1), 'divert')).toBe('live');
    expect(await replay.stats('a1')).toEqual({ entries: 0, points: 0, bytes: 0, oldestAt: null, buffering: false });
  });

  it('a failed push makes the node buffering; divert pushes are then stored behind it', async () => {
    const { replay } = buffer();
    expect(await replay.push('a1', batch(1), 'failed')).toBe('stored');
    expect(await replay.push('a1', batch(2), 'divert')).toBe('stored');
    expect((await replay.stats('a1')).buffering).toBe(true);
    expect((await replay.read('a1', 10)).map((b) => b.points)).toEqual([1, 2]);
  });

  it('goes live only for the lease holder, once the buffer is empty and draining', async () => {
    const { replay } = buffer();
    await replay.push('a1', batch(1), 'failed');
    expect(await replay.goLive('a1', 'nobody')).toBe('lease-lost');
    expect(await replay.drain('a1', 'nobody')).toBe('lease-lost');
    expect(await replay.acquire('a1', 'holder', 10_000)).toBe(true);
    expect(await replay.goLive('a1', 'holder')).toBe('not-empty');
    const entries = await replay.read('a1', 10);
    expect(await replay.trim('a1', 'holder', entries)).toBe(0);
    // Empty but not drained: a push may still be on its way behind the replayer.
    expect(await replay.goLive('a1', 'holder')).toBe('not-empty');
    expect(await replay.drain('a1', 'holder')).toBe('draining');
    expect((await replay.stats('a1')).buffering).toBe(true);
    expect(await replay.goLive('a1', 'holder')).toBe('live');
    expect((await replay.stats('a1')).buffering).toBe(false);
    // From now on a process that still believes the node is buffering sends its batch live.
    expect(await replay.push('a1', batch(3), 'divert'), 'divert after live').toBe('live');
  });

  it('makes divert pushes wait while draining, and a failed push ends the drain', async () => {
    const { replay } = buffer();
    await replay.push('a1', batch(1), 'failed');
    expect(await replay.acquire('a1', 'holder', 10_000)).toBe(true);
    expect(await replay.drain('a1', 'holder')).toBe('draining');
    expect(await replay.push('a1', batch(2), 'divert')).toBe('wait');
    expect((await replay.read('a1', 10)).map((b) => b.points)).toEqual([1]);
    // The node failed a batch of another process: buffering again, the drain is over.
    expect(await replay.push('a1', batch(3), 'failed')).toBe('stored');
    await replay.trim('a1', 'holder', await replay.read('a1', 10));
    expect(await replay.goLive('a1', 'holder')).toBe('not-empty');
    expect(await replay.push('a1', batch(4), 'divert')).toBe('stored');
  });
});
