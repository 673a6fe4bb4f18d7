// A circle: nodes that together hold one full copy of the data, and the ring that places each shard
// key on exactly one of them (its owner).
import type { CircleConfig } from '../config/schema.js';
import { createHashRing, type HashRing, type InfluxProxyHashKey, type RingMode } from './hash-ring.js';
import { InfluxNode } from './node.js';

export class Circle {
  readonly name: string;
  readonly nodes: readonly InfluxNode[];
  readonly #ring: HashRing;

  constructor(config: CircleConfig, ringMode: RingMode, hashKey: InfluxProxyHashKey, connectionsPerNode: number) {
    this.name = config.name;
    this.nodes = config.nodes.map((node, index) => new InfluxNode(node, config.name, index, connectionsPerNode));
    this.#ring = createHashRing(
      ringMode,
      this.nodes.map((node) => node.name),
      hashKey,
    );
  }

  owner(shardKey: string): InfluxNode {
    return this.nodes[this.#ring.owner(shardKey)] as InfluxNode;
  }
}
