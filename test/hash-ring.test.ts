// The rings that place a shard key on its owner: `influx-proxy` mode must give exactly the owners
// chengshiwen/influx-proxy gives (so a deployment can switch without moving data), `ketama` mode must
// not change owners by accident and must move as few keys as possible when nodes come and go, and the
// topology must answer one owner per circle.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { createHashRing, type InfluxProxyHashKey } from '../proxy/hash-ring.js';
import { Topology } from '../proxy/topology.js';
import { projectRoot } from '../proxy/version.js';

interface VectorCase {
  hash_key: InfluxProxyHashKey;
  backends: number;
  owner: Record<string, number>;
}

function influxProxyVectors(): VectorCase[] {
  const file = join(projectRoot(), '..', 'shared', 'data', 'influx-proxy-ring', 'vectors.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { cases: VectorCase[] }).cases;
}

describe('influx-proxy mode', () => {
  const cases = influxProxyVectors();

  it('has vectors to check (both hash_key modes)', () => {
    expect(cases.length).toBeGreaterThan(0);
    expect(new Set(cases.map((c) => c.hash_key))).toEqual(new Set(['idx', 'exi']));
  });

  it.each(cases.map((c) => ({ ...c, keys: Object.keys(c.owner).length })))(
    'hash_key $hash_key, $backends backends: every owner is influx-proxy 2.5.12\'s ($keys keys)',
    (vector) => {
      const names = Array.from({ length: vector.backends }, (_, i) => `backend-${i}`);
      const ring = createHashRing('influx-proxy', names, vector.hash_key);
      const owners = Object.fromEntries(Object.keys(vector.owner).map((key) => [key, ring.owner(key)]));
      expect(owners).toEqual(vector.owner);
    },
  );
});

const KEYS = [
  'db1,cpu', 'db1,mem', 'db1,disk', 'telegraf,cpu', 'telegraf,net', 'telegraf,system', 'bench,m0', 'bench,m1',
  'bench,m2', 'bench,m3', 'bench,m4', 'mydb,h2o_feet', 'mydb,h2o_temperature', 'db,measurement with spaces',
  'db,comma,name', 'demo,ünïcode', 'demo,a=b', '_internal,runtime', 'prod,http_requests', 'prod,latency',
];

/** Owners computed once with the ketama ring as first written; a change here moves data in every deployment. */
const KETAMA_GOLDEN: Record<string, [twoNodes: string, threeNodes: string]> = {
  'db1,cpu': ['node-a', 'node-c'],
  'db1,mem': ['node-a', 'node-a'],
  'db1,disk': ['node-a', 'node-a'],
  'telegraf,cpu': ['node-b', 'node-b'],
  'telegraf,net': ['node-b', 'node-b'],
  'telegraf,system': ['node-a', 'node-c'],
  'bench,m0': ['node-b', 'node-b'],
  'bench,m1': ['node-b', 'node-c'],
  'bench,m2': ['node-b', 'node-b'],
  'bench,m3': ['node-a', 'node-a'],
  'bench,m4': ['node-b', 'node-b'],
  'mydb,h2o_feet': ['node-b', 'node-b'],
  'mydb,h2o_temperature': ['node-b', 'node-b'],
  'db,measurement with spaces': ['node-b', 'node-b'],
  'db,comma,name': ['node-b', 'node-b'],
  'demo,ünïcode': ['node-b', 'node-c'],
  'demo,a=b': ['node-b', 'node-b'],
  '_internal,runtime': ['node-a', 'node-c'],
  'prod,http_requests': ['node-a', 'node-a'],
  'prod,latency': ['node-a', 'node-a'],
};

/** Owner (by node name) of every key on a ketama ring of these nodes. */
function ketamaOwners(nodes: readonly string[], keys: readonly string[]): Map<string, string> {
  const ring = createHashRing('ketama', nodes, 'idx');
  return new Map(keys.map((key) => [key, nodes[ring.owner(key)] as string]));
}

const MANY_KEYS = Array.from({ length: 3000 }, (_, i) => `db${i % 7},measurement_${i}`);

describe('ketama mode', () => {
  it('gives the pinned owners of 20 shard keys on 2 and 3 nodes', () => {
    expect(Object.keys(KETAMA_GOLDEN)).toEqual(KEYS);
    const two = ketamaOwners(['node-a', 'node-b'], KEYS);
    const three = ketamaOwners(['node-a', 'node-b', 'node-c'], KEYS);
    const actual = Object.fromEntries(KEYS.map((key) => [key, [two.get(key), three.get(key)]]));
    expect(actual).toEqual(KETAMA_GOLDEN);
  });

  it('spreads keys over every node', () => {
    const owners = ketamaOwners(['node-a', 'node-b', 'node-c'], MANY_KEYS);
    const perNode = new Map<string, number>();
    for (const owner of owners.values()) perNode.set(owner, (perNode.get(owner) ?? 0) + 1);
    for (const node of ['node-a', 'node-b', 'node-c']) expect(perNode.get(node) ?? 0, node).toBeGreaterThan(MANY_KEYS.length / 6);
  });

  it('moves keys only to the new node when a third node is added', () => {
    const before = ketamaOwners(['node-a', 'node-b'], MANY_KEYS);
    const after = ketamaOwners(['node-a', 'node-b', 'node-c'], MANY_KEYS);
    const moved = MANY_KEYS.filter((key) => before.get(key) !== after.get(key));
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.filter((key) => after.get(key) !== 'node-c')).toEqual([]);
  });

  it('moves only the removed node\'s keys when a node is removed', () => {
    const before = ketamaOwners(['node-a', 'node-b', 'node-c'], MANY_KEYS);
    const after = ketamaOwners(['node-a', 'node-c'], MANY_KEYS);
    const moved = MANY_KEYS.filter((key) => before.get(key) !== after.get(key));
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.filter((key) => before.get(key) !== 'node-b')).toEqual([]);
    expect(MANY_KEYS.filter((key) => before.get(key) === 'node-b' && after.get(key) === before.get(key))).toEqual([]);
  });

  it('gives the same owner (by name) whatever the order of the node names', () => {
    const orders = [
      ['node-a', 'node-b', 'node-c'],
      ['node-c', 'node-a', 'node-b'],
      ['node-b', 'node-c', 'node-a'],
      ['node-c', 'node-b', 'node-a'],
    ];
    const [first, ...others] = orders.map((order) => ketamaOwners(order, MANY_KEYS));
    for (const other of others) expect(other).toEqual(first);
  });

  it('answers an index into the node list it was given', () => {
    const nodes = ['node-c', 'node-a', 'node-b'];
    const ring = createHashRing('ketama', nodes, 'idx');
    for (const key of KEYS) {
      const index = ring.owner(key);
      expect(Number.isInteger(index) && index >= 0 && index < nodes.length, key).toBe(true);
    }
  });
});

describe('Topology.owners', () => {
  let topology: Topology | undefined;

  afterEach(async () => {
    await topology?.close();
    topology = undefined;
  });

  function makeTopology(mode: 'ketama' | 'influx-proxy', cacheSize: number): Topology {
    const config = loadConfig({
      env: {},
      overrides: {
        ring: { mode, cacheSize },
        circles: [
          { name: 'circle-a', nodes: ['a1', 'a2', 'a3'].map((name, i) => ({ name, url: `http://127.0.0.1:${9100 + i}` })) },
          { name: 'circle-b', nodes: ['b1', 'b2'].map((name, i) => ({ name, url: `http://127.0.0.1:${9200 + i}` })) },
          { name: 'circle-c', nodes: [{ name: 'c1', url: 'http://127.0.0.1:9300' }] },
        ],
      },
    });
    return Topology.fromConfig(config);
  }

  it.each(['ketama', 'influx-proxy'] as const)('%s: one owner per circle, in circle order, the ring\'s owner', (mode) => {
    topology = makeTopology(mode, 100_000);
    const circles = topology.circles;
    const rings = circles.map((circle) => createHashRing(mode, circle.nodes.map((node) => node.name), 'idx'));
    for (const key of MANY_KEYS.slice(0, 500)) {
      const owners = topology.owners(key);
      expect(owners.map((node) => node.circle)).toEqual(['circle-a', 'circle-b', 'circle-c']);
      expect(owners.map((node) => node.name)).toEqual(circles.map((circle, c) => circle.nodes[rings[c]?.owner(key) ?? -1]?.name));
    }
  });

  it('answers the same owners from its cache', () => {
    topology = makeTopology('ketama', 100_000);
    const first = topology.owners('db1,cpu');
    expect(topology.owners('db1,cpu')).toBe(first);
  });

  it('keeps answering correctly once the cache is full', async () => {
    topology = makeTopology('ketama', 3);
    const fresh = makeTopology('ketama', 100_000);
    try {
      for (let round = 0; round < 3; round++) {
        for (const key of KEYS) {
          expect(topology.owners(key).map((node) => node.name), key).toEqual(fresh.owners(key).map((node) => node.name));
        }
      }
    } finally {
      await fresh.close();
    }
  });
});
