// How an acknowledged write becomes detection points: the proxy routes the lines the write path's
// scanner found to the shards of their curves (line-router, detection-batch), and each shard's worker
// reads the batch and keeps the points of its own shard (point-reader). Every curve's point reaches its
// shard's worker exactly once; the fast path (a cache per series text) and the full reading of lines
// with escapes or quotes agree; precisions, missing timestamps, tag filters, non-numeric fields; a new
// rule set is not answered from the old cache.
import { describe, expect, it } from 'vitest';
import { ruleSchema } from '../config/rule-schema.js';
import { viewOf } from '../proxy/detection/byte-words.js';
import { batchSegments, PendingBatch } from '../proxy/detection/detection-batch.js';
import { LineRouter } from '../proxy/detection/line-router.js';
import { LineSpans, LineSpansPool } from '../proxy/detection/line-spans.js';
import { scanLines } from '../proxy/line-protocol.js';
import { RuleIndex } from '../proxy/detection/rule-index.js';
import { seriesKey, shardOf } from '../proxy/detection/series-key.js';
import { PointReader, type DetectionPoint } from '../worker/detection/point-reader.js';

const rule = (name: string, extra: Record<string, unknown> = {}): ReturnType<typeof ruleSchema.parse> =>
  ruleSchema.parse({ name, db: 'demo', measurement: 'cpu', fields: ['v', 'n'], algorithm: { type: 'spot' }, ...extra });

/** The points of a write body each shard's worker judges, the lines routed as the proxy routes them. */
function read(index: RuleIndex, body: string, precision = 'n', reader = new PointReader(8), router = new LineRouter(8), db = 'demo', capacity?: number): [number, DetectionPoint][] {
  const buf = Buffer.from(body);
  const view = viewOf(buf);
  const batches = new Map<number, PendingBatch>();
  scanLines(buf, { precision, maxLineBytes: 1 << 20 }, {
    line: (start, end, _measurementEnd, _hasTimestamp, seriesEnd) => {
      const { shards, rules } = router.routes(index, db)(buf, view, start, seriesEnd);
      for (const shard of shards) {
        const batch = batches.get(shard) ?? new PendingBatch(capacity === undefined ? undefined : Buffer.allocUnsafe(capacity));
        batch.add(db, precision, 1_700_000_000_123, 1, buf, view, start, end, rules);
        batches.set(shard, batch);
      }
    },
    invalid: () => undefined,
  });
  const out: [number, DetectionPoint][] = [];
  const all: [number, DetectionPoint][] = [];
  for (const [shard, batch] of batches) {
    const { batch: job, buffer, start, end } = batch.build('key');
    for (const [db, p, receivedAt, lines] of batchSegments(job, buffer.subarray(start, end))) {
      reader.read(index, db, p, lines, receivedAt, (of, point) => {
        all.push([of, point]);
        if (of === shard) out.push([of, point]);
      });
    }
  }
  // Every point read from a shard's batch belongs to some shard the line was sent to, once.
  const keys = out.map(([, p]) => p.join('|'));
  expect(new Set(keys).size).toBe(keys.length);
  expect(new Set(all.map(([, p]) => p.join('|')))).toEqual(new Set(keys));
  return out.sort((a, b) => a[1][1].localeCompare(b[1][1]) || a[1][2] - b[1][2]);
}

describe('reading writes into detection points', () => {
  const index = new RuleIndex([rule('r1')]);

  it('gives every matched (series, field) with its series key, shard, time in ms and value', () => {
    const points = read(index, 'cpu,region=eu,host=a v=1.5,n=7i,s="x",b=true 1700000000000000000\nmem,host=a v=9 1700000000000000000\n');
    const key = seriesKey('demo', 'cpu', [['host', 'a'], ['region', 'eu']], 'v');
    expect(key).toBe('demo/cpu,host=a,region=eu#v');
    expect(points).toEqual([
      [shardOf('demo/cpu,host=a,region=eu#n', 8), ['r1', 'demo/cpu,host=a,region=eu#n', 1_700_000_000_000, 7]],
      [shardOf(key, 8), ['r1', key, 1_700_000_000_000, 1.5]],
    ]);
    for (const [shard] of points) expect(shard).toBeGreaterThanOrEqual(0);
  });

  it('lines with escapes or quotes read the same as plain ones would', () => {
    const escaped = read(new RuleIndex([rule('r1', { measurement: 'cpu load' })]), 'cpu\\ load,host=a\\,b,zone=x\\=y v=2,s="a b" 1700000000000000000');
    expect(escaped).toEqual([[shardOf('demo/cpu load,host=a,b,zone=x=y#v', 8), ['r1', 'demo/cpu load,host=a,b,zone=x=y#v', 1_700_000_000_000, 2]]]);
  });

  it('a batch that outgrows its first buffer keeps every line whole, whatever its length', () => {
    // Lines of every length mod 4 (the bytes are copied four at a time), far more than a small first buffer holds.
    const lines = Array.from({ length: 2000 }, (_, i) => `cpu,host=h${i % 37}${'x'.repeat(i % 7)} v=${i} ${1_700_000_000_000_000_000 + i * 1_000_000_000}`);
    const points = read(index, lines.join('\n'), 'n', new PointReader(8), new LineRouter(8), 'demo', 1024);
    expect(points).toHaveLength(2000);
    const byKey = new Map(points.map(([, p]) => [`${p[1]}@${p[2]}`, p[3]]));
    lines.forEach((_, i) => expect(byKey.get(`demo/cpu,host=h${i % 37}${'x'.repeat(i % 7)}#v@${1_700_000_000_000 + i * 1000}`)).toBe(i));
  });

  it('line spans grow past their first size and keep every triplet; the pool gives them back empty and keeps at most its count', () => {
    const spans = new LineSpans();
    for (let i = 0; i < 5000; i++) spans.push(i, i + 10, i + 5);
    expect(spans.length).toBe(15000);
    expect([...spans.spans.subarray(0, 6)]).toEqual([0, 10, 5, 1, 11, 6]);
    expect([...spans.spans.subarray(14997, 15000)]).toEqual([4999, 5009, 5004]);
    const pool = new LineSpansPool(1, 3 * 8192);
    pool.giveBack(spans);
    expect(pool.take()).toBe(spans);
    expect(spans.length).toBe(0);
    const other = new LineSpans();
    pool.giveBack(spans);
    pool.giveBack(other);
    expect(pool.take()).toBe(spans);
    expect(pool.take()).not.toBe(other);
    const large = new LineSpans();
    for (let i = 0; i < 9000; i++) large.push(i, i, i);
    pool.giveBack(large);
    expect(pool.take()).not.toBe(large);
  });

  it('converts each precision to milliseconds, and takes the receive time for a line without one', () => {
    const at = (body: string, precision: string): number => (read(index, body, precision)[0]?.[1][2] as number);
    expect(at('cpu v=1 1700000000000000000', 'n')).toBe(1_700_000_000_000);
    expect(at('cpu v=1 1700000000000000', 'u')).toBe(1_700_000_000_000);
    expect(at('cpu v=1 1700000000000', 'ms')).toBe(1_700_000_000_000);
    expect(at('cpu v=1 1700000000', 's')).toBe(1_700_000_000_000);
    expect(at('cpu v=1 28333333', 'm')).toBe(1_699_999_980_000);
    expect(at('cpu v=1', 'n')).toBe(1_700_000_000_123);
  });

  it('applies the tag filter and the field list', () => {
    const filtered = new RuleIndex([rule('web', { filter: 'host =~ /^web/', fields: ['v'] })]);
    const points = read(filtered, 'cpu,host=web1 v=1,n=2i 1700000000000000000\ncpu,host=db1 v=3 1700000000000000000\ncpu v=4 1700000000000000000');
    expect(points.map(([, p]) => [p[1], p[3]])).toEqual([['demo/cpu,host=web1#v', 1]]);
  });

  it('a series cached under one rule set is read again under the next', () => {
    const reader = new PointReader(8);
    const router = new LineRouter(8);
    expect(read(index, 'cpu,host=a v=1 1700000000000000000', 'n', reader, router)).toHaveLength(1);
    expect(read(new RuleIndex([rule('r2', { filter: "host = 'b'" })]), 'cpu,host=a v=1 1700000000000000000', 'n', reader, router)).toEqual([]);
  });

  it('a shard\'s batch keeps its lines in order, in one segment per write (each with its own receive time)', () => {
    const router = new LineRouter(4);
    const reader = new PointReader(4);
    const batch = new PendingBatch();
    const writes = ['cpu v=1\ncpu v=2', 'cpu v=3\ncpu v=4'].map((text) => Buffer.from(text));
    for (const [w, body] of writes.entries()) {
      scanLines(body, { precision: 'n', maxLineBytes: 1 << 20 }, {
        line: (start, end, _measurementEnd, _hasTimestamp, seriesEnd) => {
          const { shards, rules } = router.routes(index, 'demo')(body, viewOf(body), start, seriesEnd);
          expect(shards).toContain(shardOf('demo/cpu#v', 4));
          batch.add('demo', 'n', 1000 + w, w, body, viewOf(body), start, end, rules);
        },
        invalid: () => undefined,
      });
    }
    const { batch: job, buffer, start, end } = batch.build('the-key');
    const payload = buffer.subarray(start, end);
    expect(batch.lines).toBe(4);
    expect(job).toEqual({ rules: ['r1'], segments: [['demo', 'n', 1000, 15], ['demo', 'n', 1001, 15]], payload: 'the-key' });
    writes[0]?.fill(0); // the batch copied the lines: the request's buffer can go
    const built = { segments: batchSegments(job, payload) };
    expect(built.segments).toEqual([['demo', 'n', 1000, 'cpu v=1\ncpu v=2'], ['demo', 'n', 1001, 'cpu v=3\ncpu v=4']]);
    const got: DetectionPoint[] = [];
    const mine = shardOf('demo/cpu#v', 4);
    for (const [db, precision, at, lines] of built.segments) reader.read(index, db, precision, lines, at, (_, point) => got.push(point), mine);
    expect(got).toEqual([1, 2, 3, 4].map((v) => ['r1', 'demo/cpu#v', v < 3 ? 1000 : 1001, v]));
    // a worker reading for another shard gets none of them
    const others: DetectionPoint[] = [];
    for (const [db, precision, at, lines] of built.segments) reader.read(index, db, precision, lines, at, (_, point) => others.push(point), (mine + 1) % 4);
    expect(others).toEqual([]);
  });

  it('a thousand series are routed from the cache as a fresh router routes them (the key bytes are checked, not only their hash)', () => {
    const routed = (router: LineRouter, body: Buffer): string[] => {
      const out: string[] = [];
      scanLines(body, { precision: 'n', maxLineBytes: 1 << 20 }, {
        line: (start, _end, _m, _t, seriesEnd) => out.push(router.routes(index, 'demo')(body, viewOf(body), start, seriesEnd).shards.join(',')),
        invalid: () => undefined,
      });
      return out;
    };
    const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => `cpu,host=h${i},zone=z${i % 7} v=1`).join('\n'));
    const cached = new LineRouter(8);
    const first = routed(cached, body);
    expect(routed(cached, body)).toEqual(first);
    expect(first).toEqual(Array.from({ length: 1000 }, (_, i) => routed(new LineRouter(8), Buffer.from(`cpu,host=h${i},zone=z${i % 7} v=1`))[0]));
    expect(new Set(first).size).toBeGreaterThan(1);
  });

  it('the same series in two databases feeds each database\'s own curve (the caches are per database)', () => {
    const both = new RuleIndex([rule('ra', { db: 'a', fields: ['v'] }), rule('rb', { db: 'b', fields: ['v'] })]);
    const reader = new PointReader(8);
    const router = new LineRouter(8);
    expect(read(both, 'cpu,host=h v=1 1700000000000000000', 'n', reader, router, 'a').map(([, p]) => p)).toEqual([['ra', 'a/cpu,host=h#v', 1_700_000_000_000, 1]]);
    expect(read(both, 'cpu,host=h v=2 1700000000000000000', 'n', reader, router, 'b').map(([, p]) => p)).toEqual([['rb', 'b/cpu,host=h#v', 1_700_000_000_000, 2]]);
  });

  it('a newline inside a string field stays inside its line; blanks around the fields and the timestamp are skipped', () => {
    const body = 'cpu,host=h v=1,m="a\nb" 1700000000000000000\ncpu,host=h m="x\ncpu,host=z v=9 5",v=2 1700000001000000000\ncpu,host=h  v=3  1700000002000000000 \ncpu,host=h v=4 ';
    expect(read(index, body).map(([, p]) => [p[1], p[2], p[3]])).toEqual([
      ['demo/cpu,host=h#v', 1_700_000_000_000, 1],
      ['demo/cpu,host=h#v', 1_700_000_000_123, 4], // no timestamp: the receive time
      ['demo/cpu,host=h#v', 1_700_000_001_000, 2],
      ['demo/cpu,host=h#v', 1_700_000_002_000, 3],
    ]);
  });
});
