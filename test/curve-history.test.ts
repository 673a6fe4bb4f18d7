// A curve's past windows as the worker keeps them (rings of buckets): reading fills a gap with the
// value before it and the leading gap with the first value; a window less than half there is not read;
// a slot never goes back to an older bucket; a ring saved and read back (as a shard's owner saves it)
// reads the same, without the older buckets no read reaches; the history plans of the algorithms that compare with the
// past; each history algorithm judges a spike against its windows, and not a normal point.
import { describe, expect, it } from 'vitest';
import { ruleSchema } from '../config/rule-schema.js';
import { BucketRing, CurveHistory } from '../worker/detection/curve-history.js';
import { historyPlan } from '../worker/detection/history-plan.js';
import { judgeWithHistory } from '../worker/detection/series-detector.js';

const rule = (algorithm: Record<string, unknown>): ReturnType<typeof ruleSchema.parse> => ruleSchema.parse({ name: 'r', db: 'd', measurement: 'm', fields: ['v'], algorithm });

describe('curve history', () => {
  it('reads buckets with gaps filled from the value before (the leading ones from the first value)', () => {
    const ring = new BucketRing(8);
    ring.set(101, 1);
    ring.set(103, 3);
    ring.set(104, 4);
    const out = new Float64Array(5);
    expect(ring.read(100, out)).toBe(true);
    expect([...out]).toEqual([1, 1, 1, 3, 4]);
    expect(ring.read(103, new Float64Array(5))).toBe(false); // 2 of 5 there
  });

  it('a slot keeps the newer bucket: an older one that maps to it is dropped', () => {
    const ring = new BucketRing(4);
    ring.set(9, 9);
    ring.set(5, 5); // same slot, older
    const out = new Float64Array(1);
    expect(ring.read(9, out)).toBe(true);
    expect(out[0]).toBe(9);
    expect(ring.read(5, out)).toBe(false);
  });

  it('a ring saved (encode) and read back (decode) reads the same buckets; a slot still holding an older bucket than the last `capacity` is left out', () => {
    const ring = new BucketRing(8);
    expect(ring.changed).toBe(false);
    for (const bucket of [3, 9, 20, 21, 23, 26, 27]) ring.set(bucket, bucket / 2);
    expect(ring.changed).toBe(true);
    expect(ring.newest()).toBe(27);
    const data = ring.encode();
    expect(data.length).toBe(8 + 1 + 4 * 5); // header, a byte of bits, 5 values (27 took bucket 3's slot; 9, in a slot of its own, is older than 20…27)
    const back = new BucketRing(8);
    expect(back.decode(data)).toBe(true);
    const out = new Float64Array(8);
    const expected = new Float64Array(8);
    expect(back.read(20, out)).toBe(true);
    expect(ring.read(20, expected)).toBe(true);
    expect([...out]).toEqual([...expected]);
    expect(back.read(3, new Float64Array(1))).toBe(false);
    expect(back.read(9, new Float64Array(1))).toBe(false);
    expect(ring.read(9, new Float64Array(1))).toBe(true);
    expect(back.newest()).toBe(27);
    // another capacity (the plan changed): nothing taken
    const other = new BucketRing(9);
    expect(other.decode(data)).toBe(false);
    expect(other.newest()).toBe(-1);
    // an empty ring, and values as 32-bit floats
    expect(new BucketRing(8).decode(new BucketRing(8).encode())).toBe(true);
    const fine = new BucketRing(4);
    fine.set(1_000_000, 0.1);
    const fineBack = new BucketRing(4);
    fineBack.decode(fine.encode());
    const one = new Float64Array(1);
    fineBack.read(1_000_000, one);
    expect(one[0]).toBe(Math.fround(0.1));
  });

  it('Metis: today 181 points, last week and yesterday 361 around the same time of day', () => {
    const plan = historyPlan(rule({ type: 'metis-value', interval: '5m' }));
    expect(plan).toEqual({ interval: 300_000, today: 181, windows: [{ offset: 7 * 288, before: 180, after: 180 }, { offset: 288, before: 180, after: 180 }] });
    expect(historyPlan(rule({ type: 'spot' }))).toBeNull();
    expect(historyPlan(rule({ type: 'seasonal-esd', period: 1440, periods: 3, window: 30 }))?.windows).toEqual([1, 2, 3].map((k) => ({ offset: k * 1440, before: 29, after: 0 })));
    expect(() => rule({ type: 'metis-value', interval: '7m' })).toThrow(/dividing a day/);
    expect(() => rule({ type: 'metis-rate', interval: '10m' })).toThrow(/more than 180 points/);
  });

  it("a curve's windows for a bucket, or null while one is too sparse", () => {
    const plan = { interval: 60_000, today: 3, windows: [{ offset: 100, before: 1, after: 1 }] };
    const curve = new CurveHistory(plan, 0, 10);
    for (const b of [248, 249, 250]) curve.today.set(b, b);
    expect(curve.read(250)).toBeNull(); // the window 100 back is empty
    const loaded = new CurveHistory(plan, 0, 10);
    for (const b of [48, 49, 50]) loaded.today.set(b + 200, b);
    for (const b of [149, 150, 151]) loaded.windows[0]?.set(b, b * 10);
    expect(loaded.read(250)).toEqual({ today: Float64Array.from([48, 49, 50]), windows: [Float64Array.from([1490, 1500, 1510])] });
  });

  it.each([
    { algorithm: { type: 'metis-value' } },
    { algorithm: { type: 'metis-rate' } },
    { algorithm: { type: 'seasonal-esd', period: 1440, periods: 3, window: 60 } },
  ])('$algorithm.type judges a spike as an anomaly and a normal point as none', ({ algorithm }) => {
    const r = rule(algorithm);
    const plan = historyPlan(r);
    if (plan === null) throw new Error('no plan');
    let seed = 5;
    const value = (b: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return 100 + 20 * Math.sin((2 * Math.PI * b) / 1440) + (seed / 2147483648 - 0.5);
    };
    const now = 10_000_000;
    const judge = (last: number): ReturnType<typeof judgeWithHistory> => {
      const curve = new CurveHistory(plan, 0, 60);
      for (const [i, w] of plan.windows.entries()) for (let b = now - w.offset - w.before; b <= now - w.offset + w.after; b++) curve.windows[i]?.set(b, value(b));
      for (let b = now - plan.today + 1; b < now; b++) curve.today.set(b, value(b));
      curve.today.set(now, last);
      const windows = curve.read(now);
      if (windows === null) throw new Error('windows missing');
      return judgeWithHistory(r, windows);
    };
    const normal = judge(100 + 20 * Math.sin((2 * Math.PI * now) / 1440));
    expect(normal?.anomalous).toBe(false);
    expect(normal?.score).toBeLessThan(1);
    const spike = judge(300);
    expect(spike?.anomalous).toBe(true);
    expect(spike?.score).toBeGreaterThan(1);
  });
});
