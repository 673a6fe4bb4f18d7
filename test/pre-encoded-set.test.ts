// The SET framed in a batch's own buffer (pre-encoded-set.ts) against a real redis-server: the value
// stored is exactly the bytes between the rooms, with its TTL, for any bytes and a UTF-8 key; a key
// too long for the room falls back (null); and the buffer can be reused once the SET has answered.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisServer } from '../deploy/local/redis-server.js';
import { HEAD_ROOM, setFromBuffer, TAIL_ROOM } from '../proxy/detection/pre-encoded-set.js';

let dir = '';
let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'influxring-set-'));
  server = await startRedis({ dir });
  redis = new Redis(server.port, '127.0.0.1');
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A buffer with the rooms around `value`. */
function framed(value: Buffer): Buffer {
  const buffer = Buffer.alloc(HEAD_ROOM + value.length + TAIL_ROOM, 0x55);
  value.copy(buffer, HEAD_ROOM);
  return buffer;
}

describe('a SET framed in the batch buffer', () => {
  it('stores exactly the bytes between the rooms, with the TTL, under a UTF-8 key', async () => {
    const value = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    const buffer = framed(value);
    const key = 'irx:{detect:3}:batch:ü-1';
    expect(await setFromBuffer(redis, buffer, HEAD_ROOM, HEAD_ROOM + value.length, key, 60_000)).toBe('OK');
    expect((await redis.getBuffer(key))?.equals(value)).toBe(true);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // answered: the buffer is free for the next batch
    const next = Buffer.from('cpu,host=a v=1');
    next.copy(buffer, HEAD_ROOM);
    expect(await setFromBuffer(redis, buffer, HEAD_ROOM, HEAD_ROOM + next.length, 'next', 1000)).toBe('OK');
    expect(await redis.get('next')).toBe('cpu,host=a v=1');
    expect((await redis.getBuffer(key))?.equals(value)).toBe(true);
    // an empty value
    expect(await setFromBuffer(redis, buffer, HEAD_ROOM, HEAD_ROOM, 'empty', 1000)).toBe('OK');
    expect(await redis.get('empty')).toBe('');
  });

  it('falls back (null) when the framing does not fit the room, writing nothing', async () => {
    const buffer = framed(Buffer.from('x'));
    expect(setFromBuffer(redis, buffer, HEAD_ROOM, HEAD_ROOM + 1, 'k'.repeat(HEAD_ROOM), 1000)).toBeNull();
    expect(setFromBuffer(redis, buffer, HEAD_ROOM, buffer.length - 2, 'k', 1000)).toBeNull();
    expect(await redis.exists('k'.repeat(HEAD_ROOM), 'k')).toBe(0);
  });
});
