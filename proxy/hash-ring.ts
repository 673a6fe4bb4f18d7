// The consistent-hash ring of one circle: which of the circle's nodes owns a shard key.
// Two modes: `ketama` (the hashring package, nodes keyed by name, so reordering nodes moves nothing)
// and `influx-proxy`, which reproduces chengshiwen/influx-proxy's owners exactly (CRC32-IEEE, 256
// virtual nodes per node keyed `String(i) + nodeKey`, owner = first point strictly above the key's
// hash, wrapping), so an influx-proxy deployment can switch to InfluxRing without moving data.
import { crc32 } from 'node:zlib';
import HashRingPackage from 'hashring';

export type RingMode = 'ketama' | 'influx-proxy';
export type InfluxProxyHashKey = 'idx' | 'exi';

export interface HashRing {
  /** Index, in the circle's node list, of the owner of `shardKey`. */
  owner(shardKey: string): number;
}

const INFLUX_PROXY_REPLICAS = 256;

/** influx-proxy's key for the node at `index` of its circle, per its `hash_key` setting. */
function influxProxyNodeKey(index: number, hashKey: InfluxProxyHashKey): string {
  return hashKey === 'idx' ? String(index) : `|${index}`;
}

class InfluxProxyRing implements HashRing {
  readonly #points: Uint32Array;
  readonly #owners: Int32Array;

  constructor(nodeCount: number, hashKey: InfluxProxyHashKey) {
    const entries = new Map<number, number>();
    for (let node = 0; node < nodeCount; node++) {
      const key = influxProxyNodeKey(node, hashKey);
      // A later node overwrites an earlier one on a hash collision, as in influx-proxy's ring.
      for (let i = 0; i < INFLUX_PROXY_REPLICAS; i++) entries.set(crc32(String(i) + key) >>> 0, node);
    }
    const points = Uint32Array.from(entries.keys()).sort();
    this.#points = points;
    this.#owners = Int32Array.from(points, (point) => entries.get(point) as number);
  }

  owner(shardKey: string): number {
    const hash = crc32(shardKey) >>> 0;
    const points = this.#points;
    let lo = 0;
    let hi = points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((points[mid] as number) > hash) hi = mid;
      else lo = mid + 1;
    }
    return this.#owners[lo === points.length ? 0 : lo] as number;
  }
}

class KetamaRing implements HashRing {
  readonly #ring: HashRingPackage;
  readonly #index: Map<string, number>;

  constructor(nodeNames: readonly string[]) {
    this.#ring = new HashRingPackage([...nodeNames], 'md5', { 'max cache size': 1 });
    this.#index = new Map(nodeNames.map((name, i) => [name, i]));
  }

  owner(shardKey: string): number {
    return this.#index.get(this.#ring.get(shardKey)) as number;
  }
}

export function createHashRing(mode: RingMode, nodeNames: readonly string[], hashKey: InfluxProxyHashKey): HashRing {
  return mode === 'influx-proxy' ? new InfluxProxyRing(nodeNames.length, hashKey) : new KetamaRing(nodeNames);
}
