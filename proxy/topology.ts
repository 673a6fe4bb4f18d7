// The topology: the circles and their nodes, and the owners of a shard key (one per circle), cached
// because every write asks for them.
import type { Config } from '../config/schema.js';
import { Circle } from './circle.js';
import type { InfluxNode } from './node.js';

export class Topology {
  readonly circles: readonly Circle[];
  readonly nodes: readonly InfluxNode[];
  readonly #owners = new Map<string, readonly InfluxNode[]>();
  readonly #cacheSize: number;
  /** The nodes' InfluxDB version for response headers (see version.ts), refreshed by health checks. */
  influxdbVersion = 'unknown';

  constructor(config: Config) {
    // Live writes plus the health probe and replay share a node's pool.
    const connections = config.write.maxInFlightPerNode + 2;
    this.circles = config.circles.map((circle) => new Circle(circle, config.ring.mode, config.ring.hashKey, connections));
    this.nodes = this.circles.flatMap((circle) => circle.nodes);
    this.#cacheSize = config.ring.cacheSize;
  }

  /** The owner of `shardKey` in every circle, in circle order. */
  owners(shardKey: string): readonly InfluxNode[] {
    let owners = this.#owners.get(shardKey);
    if (owners === undefined) {
      owners = this.circles.map((circle) => circle.owner(shardKey));
      if (this.#owners.size >= this.#cacheSize) this.#owners.clear();
      this.#owners.set(shardKey, owners);
    }
    return owners;
  }

  node(name: string): InfluxNode | undefined {
    return this.nodes.find((node) => node.name === name);
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.close()));
  }
}
