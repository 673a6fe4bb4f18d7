// How an acknowledged write becomes detection points (the lines the write path's scanner found): the
// fast path (a cache per series text) and the full reading of lines with escapes or quotes agree; precisions, missing timestamps, tag filters,
// non-numeric fields; shards stay within range; a new rule set is not answered from the old cache.
import { describe, expect, it } from 'vitest';
import { ruleSchema } from '../config/rule-schema.js';
import { PointReader, type DetectionPoint } from '../proxy/detection/point-reader.js';
import { scanLines } from '../proxy/line-protocol.js';
import { RuleIndex } from '../proxy/detection/rule-index.js';
import { seriesKey, shardOf } from '../proxy/detection/series-key.js';

const rule = (name: string, extra: Record<string, unknown> = {}): ReturnType<typeof ruleSchema.parse> =>
  ruleSchema.parse({ name, db: 'demo', measurement: 'cpu', fields: ['v', 'n'], algorithm: { type: 'spot' }, ...extra });

/** The points of a write body, its lines found by the write path's scanner as a write would find them. */
function read(index: RuleIndex, body: string, precision = 'n', reader = new PointReader(8)): [number, DetectionPoint][] {
  const buf = Buffer.from(body);
  const lines: number[] = [];
  scanLines(buf, { precision, maxLineBytes: 1 << 20 }, { line: (start, end, measurementEnd) => lines.push(start, end, measurementEnd), invalid: () => undefined });
  const out: [number, DetectionPoint][] = [];
  reader.read(index, 'demo', precision, buf, lines, 1_700_000_000_123, (shard, point) => out.push([shard, point]));
  return out;
}

describe('reading writes into detection points', () => {
  const index = new RuleIndex([rule('r1')]);

  it('gives every matched (series, field) with its series key, shard, time in ms and value', () => {
    const points = read(index, 'cpu,region=eu,host=a v=1.5,n=7i,s="x",b=true 1700000000000000000\nmem,host=a v=9 1700000000000000000\n');
    const key = seriesKey('demo', 'cpu', [['host', 'a'], ['region', 'eu']], 'v');
    expect(key).toBe('demo/cpu,host=a,region=eu#v');
    expect(points).toEqual([
      [shardOf(key, 8), ['r1', key, 1_700_000_000_000, 1.5]],
      [shardOf('demo/cpu,host=a,region=eu#n', 8), ['r1', 'demo/cpu,host=a,region=eu#n', 1_700_000_000_000, 7]],
    ]);
    for (const [shard] of points) expect(shard).toBeGreaterThanOrEqual(0);
  });

  it('lines with escapes or quotes read the same as plain ones would', () => {
    const escaped = read(new RuleIndex([rule('r1', { measurement: 'cpu load' })]), 'cpu\\ load,host=a\\,b,zone=x\\=y v=2,s="a b" 1700000000000000000');
    expect(escaped).toEqual([[shardOf('demo/cpu load,host=a,b,zone=x=y#v', 8), ['r1', 'demo/cpu load,host=a,b,zone=x=y#v', 1_700_000_000_000, 2]]]);
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
    expect(read(index, 'cpu,host=a v=1 1700000000000000000', 'n', reader)).toHaveLength(1);
    expect(read(new RuleIndex([rule('r2', { filter: "host = 'b'" })]), 'cpu,host=a v=1 1700000000000000000', 'n', reader)).toEqual([]);
  });
});
