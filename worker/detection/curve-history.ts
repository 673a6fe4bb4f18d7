// One curve's past points as its rule's history plan needs them: today's window (fed by the points the
// worker judges, and loaded once from the cluster) and the windows days or periods back (loaded from
// the cluster ahead of need). Each window is a ring of buckets, so a curve's memory is fixed by the plan
// (Metis: 181 + 2 × (361 + prefetch) buckets of 8 bytes). Values are kept as 32-bit floats. A ring
// that changed is saved by the shard's owner (`encode`: its newest bucket, which slots hold a bucket
// of the last `capacity`, and their values), so another worker taking the shard over resumes with it.
import type { HistoryPlan } from './history-plan.js';

/** Values by bucket number in a ring of `capacity` buckets; a slot keeps the newest bucket written to it. */
export class BucketRing {
  readonly #values: Float32Array;
  /** bucket + 1 per slot (0: empty). */
  readonly #buckets: Uint32Array;
  /** Set by every write; the saver clears it. */
  changed = false;

  constructor(capacity: number) {
    this.#values = new Float32Array(capacity);
    this.#buckets = new Uint32Array(capacity);
  }

  set(bucket: number, value: number): void {
    const slot = bucket % this.#values.length;
    const stored = this.#buckets[slot] as number;
    if (stored !== 0 && stored - 1 > bucket) return; // an older bucket than the slot holds: gone already
    this.#buckets[slot] = bucket + 1;
    this.#values[slot] = value;
    this.changed = true;
  }

  /** The newest bucket held (−1: none). */
  newest(): number {
    let newest = 0;
    for (const stored of this.#buckets) if (stored > newest) newest = stored;
    return newest - 1;
  }

  /**
   * The buckets of the last `capacity` up to the newest one: capacity and newest bucket (u32 each), a
   * bit per slot holding one of them, then their values (f32) in slot order. Older buckets a slot
   * still holds are left out (no read reaches them once a newer one is there).
   */
  encode(): Buffer {
    const capacity = this.#values.length;
    const newest = this.newest();
    const held = (slot: number): boolean => {
      const stored = this.#buckets[slot] as number;
      return stored !== 0 && stored - 1 > newest - capacity;
    };
    let present = 0;
    for (let slot = 0; slot < capacity; slot++) if (held(slot)) present++;
    const bitmap = Math.ceil(capacity / 8);
    const out = Buffer.alloc(8 + bitmap + 4 * present);
    out.writeUInt32LE(capacity, 0);
    out.writeUInt32LE(newest + 1, 4);
    let at = 8 + bitmap;
    for (let slot = 0; slot < capacity; slot++) {
      if (!held(slot)) continue;
      out[8 + (slot >> 3)] = (out[8 + (slot >> 3)] as number) | (1 << (slot & 7));
      out.writeFloatLE(this.#values[slot] as number, at);
      at += 4;
    }
    return out;
  }

  /** Takes the buckets of `encode`'s output; false (nothing taken) when it was made for another capacity. */
  decode(data: Buffer): boolean {
    const capacity = this.#values.length;
    const bitmap = Math.ceil(capacity / 8);
    if (data.length < 8 + bitmap || data.readUInt32LE(0) !== capacity) return false;
    const newest = data.readUInt32LE(4) - 1;
    if (newest < 0) return true;
    let at = 8 + bitmap;
    for (let slot = 0; slot < capacity; slot++) {
      if (((data[8 + (slot >> 3)] as number) & (1 << (slot & 7))) === 0) continue;
      if (at + 4 > data.length) return false;
      // The one bucket of the last `capacity` that falls in this slot.
      this.set(newest - ((newest - slot + capacity * 2) % capacity), data.readFloatLE(at));
      at += 4;
    }
    return true;
  }

  /**
   * Buckets [from, from + out.length) into `out`; a missing bucket takes the value before it (the first
   * ones, the first value found). False when fewer than half are there.
   */
  read(from: number, out: Float64Array): boolean {
    const capacity = this.#values.length;
    let present = 0;
    let last = NaN;
    for (let i = 0; i < out.length; i++) {
      const bucket = from + i;
      const slot = bucket % capacity;
      if (this.#buckets[slot] === bucket + 1) {
        last = this.#values[slot] as number;
        present++;
      }
      out[i] = last;
    }
    if (present * 2 < out.length) return false;
    // Leading gaps: the first value there is.
    const first = out.findIndex((v) => !Number.isNaN(v));
    for (let i = 0; i < first; i++) out[i] = out[first] as number;
    return true;
  }
}

/** The windows of one judgement: today's, then the plan's windows in its order. */
export interface HistoryWindows {
  readonly today: Float64Array;
  readonly windows: readonly Float64Array[];
}

export class CurveHistory {
  readonly shard: number;
  /** When (wall clock, ms) it was made or last got a point: idle curves are forgotten. */
  seenAt = Date.now();
  readonly today: BucketRing;
  readonly windows: readonly BucketRing[];
  /** Today's ring, then the windows' (the order that numbers them in a checkpoint). */
  readonly rings: readonly BucketRing[];
  readonly #plan: HistoryPlan;

  /** `prefetch`: buckets loaded ahead of need in each window. */
  constructor(plan: HistoryPlan, shard: number, prefetch: number) {
    this.shard = shard;
    this.#plan = plan;
    this.today = new BucketRing(plan.today);
    this.windows = plan.windows.map((w) => new BucketRing(w.before + w.after + 1 + prefetch));
    this.rings = [this.today, ...this.windows];
  }


  /** The windows for a point in `bucket` (which `today` holds already), or null when one is too sparse. */
  read(bucket: number): HistoryWindows | null {
    const plan = this.#plan;
    const today = new Float64Array(plan.today);
    if (!this.today.read(bucket - plan.today + 1, today)) return null;
    const windows: Float64Array[] = [];
    for (const [i, w] of plan.windows.entries()) {
      const out = new Float64Array(w.before + w.after + 1);
      if (!(this.windows[i] as BucketRing).read(bucket - w.offset - w.before, out)) return null;
      windows.push(out);
    }
    return { today, windows };
  }
}
