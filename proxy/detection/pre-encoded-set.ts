// A Redis SET whose value goes to the socket straight from the caller's buffer. ioredis copies every
// command with a Buffer argument into a new Buffer of its whole size; for detection's batches (a few
// hundred KB each, many a second) those copies were most of the proxy's garbage and set off a full GC
// every few hundred milliseconds. Here the batch's buffer keeps room before and after its lines, the
// command's RESP framing is written there, and the command hands that one buffer to the socket.
import { Command } from 'ioredis';
import type { RedisClient } from '../redis.js';

/** Bytes a batch's buffer keeps free before its lines, for the framing of `SET key`. */
export const HEAD_ROOM = 256;
/** Bytes it keeps free after them, for `PX ttl`. */
export const TAIL_ROOM = 64;

/** A command whose wire form is given (its arguments only serve to find its key, on Redis Cluster). */
class PreEncodedCommand extends Command {
  readonly #wire: Buffer;

  constructor(name: string, key: string, wire: Buffer) {
    super(name, [key, ''], { replyEncoding: 'utf8' });
    this.#wire = wire;
  }

  override toWritable(): Buffer {
    return this.#wire;
  }
}

/**
 * SET `key` to [start, end) of `buffer` with a TTL in ms, framed in the room around it: null when the
 * room does not hold the framing (then use the client's own set). `buffer` must stay untouched until
 * the promise settles, and after a rejection too (the socket may still hold it).
 */
export function setFromBuffer(redis: RedisClient, buffer: Buffer, start: number, end: number, key: string, ttlMs: number): Promise<unknown> | null {
  const head = `*5\r\n$3\r\nSET\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n$${end - start}\r\n`;
  const ttl = String(Math.round(ttlMs));
  const tail = `\r\n$2\r\nPX\r\n$${ttl.length}\r\n${ttl}\r\n`;
  const headBytes = Buffer.byteLength(head);
  if (headBytes > start || end + tail.length > buffer.length) return null;
  buffer.write(head, start - headBytes, 'utf8');
  buffer.write(tail, end, 'latin1');
  const command = new PreEncodedCommand('set', key, buffer.subarray(start - headBytes, end + tail.length));
  return redis.sendCommand(command) as Promise<unknown>;
}
