// Following something stored in Redis: a check now, on every message of its channel, and every
// `pollMs` in case a message was missed (pub/sub does not queue for a disconnected subscriber). The
// check should be cheap when nothing changed (compare a version first).
import type { RedisClient } from './redis.js';

/** Starts following; returns a function that stops. Errors of a check are left to the check. */
export function followChannel(redis: RedisClient, channel: string, pollMs: number, check: () => Promise<void>): () => void {
  const run = (): void => void check().catch(() => undefined);
  const subscriber = redis.duplicate();
  subscriber.on('error', () => undefined);
  subscriber.on('message', run);
  // Commands fail fast while disconnected (no offline queue): subscribe whenever the connection is ready.
  subscriber.on('ready', () => void subscriber.subscribe(channel).catch(() => undefined));
  const timer = setInterval(run, pollMs);
  timer.unref();
  run();
  return () => {
    clearInterval(timer);
    subscriber.disconnect();
  };
}
