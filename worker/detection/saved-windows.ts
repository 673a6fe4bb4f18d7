// How a shard's past windows of one rule are saved in Redis: a hash per shard and rule
// (RedisKeys.detectionWindows) whose field "" holds the algorithm and what the shard has loaded (JSON),
// and "ring number\nseries key" a ring's bytes (BucketRing.encode); a ring is saved when it changed.
import type { SavedWindows, ShardLoaded } from './history-loader.js';

/** A ring's field in a rule's windows hash. */
export const ringField = (ring: number, curve: string): string => `${ring}\n${curve}`;

/** The field/value pairs that save `windows`: the rings that changed, then what was loaded (last, so a save cut short never claims more than its rings hold). */
export function windowsPairs(windows: SavedWindows): (string | Buffer)[] {
  const pairs: (string | Buffer)[] = [];
  for (const { key, rings } of windows.curves) for (const [ring, data] of rings.entries()) if (data !== null) pairs.push(ringField(ring, key), data);
  const { todayNewest: _, ...loaded } = windows.loaded;
  pairs.push('', JSON.stringify({ algorithm: windows.algorithm, loaded }));
  return pairs;
}

/** A rule's windows hash as read back (null: nothing saved). */
export function savedWindows(hash: Record<string, Buffer>): SavedWindows | null {
  const meta = hash[''];
  if (meta === undefined) return null;
  const { algorithm, loaded } = JSON.parse(meta.toString()) as { algorithm: string; loaded: ShardLoaded };
  const curves = new Map<string, (Buffer | null)[]>();
  for (const [field, data] of Object.entries(hash)) {
    const cut = field.indexOf('\n');
    if (cut < 0) continue;
    const key = field.slice(cut + 1);
    let rings = curves.get(key);
    if (rings === undefined) curves.set(key, (rings = []));
    rings[Number(field.slice(0, cut))] = data;
  }
  return { algorithm, loaded, curves: [...curves].map(([key, rings]) => ({ key, rings: Array.from(rings, (ring) => ring ?? null) })) };
}
