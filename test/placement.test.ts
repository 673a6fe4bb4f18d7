// Placement: every point goes to its owner in every circle, and the circles hold identical points.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHashRing } from '../proxy/hash-ring.js';
import { shardKey } from '../proxy/shard-key.js';
import { startCluster, type TestCluster } from './helpers/cluster.js';
import { measurements, rows, write } from './helpers/influx.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ circles: [2, 2] });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('placement', () => {
  it('puts each measurement on exactly its owner in every circle, with identical points', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `m${i}`).concat(['with space', 'comma,name', 'ünïcode']);
    const escape = (m: string): string => m.replace(/([, ])/g, '\\$1');
    const lines: string[] = [];
    for (const [i, m] of names.entries()) {
      for (let p = 0; p < 25; p++) {
        // every third point without a timestamp: the proxy stamps it, identically for both circles
        lines.push(`${escape(m)},host=h${p} v=${i * 100 + p}${p % 3 === 0 ? '' : ` 17000000000${String(p * 1000).padStart(8, '0')}`}`);
      }
    }
    // interleave measurements across requests
    for (let start = 0; start < lines.length; start += 97) {
      const response = await write(cluster.url, '/write?db=demo', lines.slice(start, start + 97).join('\n'));
      expect(response.status, response.text).toBe(204);
    }

    for (const [c, circle] of cluster.nodes.entries()) {
      const ring = createHashRing('ketama', circle.map((n) => n.name), 'idx');
      const present = await Promise.all(circle.map((node) => measurements(node.url, 'demo')));
      for (const m of names) {
        const holders = circle.filter((_, n) => present[n]?.includes(m)).map((node) => node.name);
        const owner = circle[ring.owner(shardKey('demo', m))]?.name;
        expect(holders, `${m} in circle ${c}`).toEqual([owner]);
      }
    }

    for (const m of names) {
      const quoted = `"${m.replace(/"/g, '\\"')}"`;
      const perCircle = await Promise.all(
        cluster.nodes.map(async (circle) => {
          const all = await Promise.all(circle.map((node) => rows(node.url, 'demo', `SELECT * FROM ${quoted}`)));
          return all.flat().sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1])));
        }),
      );
      expect(perCircle[0]).toHaveLength(25);
      expect(perCircle[1]).toEqual(perCircle[0]);
    }
  });
});
