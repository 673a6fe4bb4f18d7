// One version of the topology, as routing sees it: the circles with their rings and nodes, and the
// owners of a shard key (cached: every write asks). A proxy swaps to a new Topology when the stored
// topology changes (cluster.ts); a request keeps the one it started with.
import type { Config } from '../config/schema.js';
import { Circle } from './circle.js';
import { MeasurementOwners } from './measurement-owners.js';
import { InfluxNode } from './node.js';
import { describeConfig, type TopologyDescription } from './topology-description.js';

export class Topology {
  readonly version: number;
  readonly description: TopologyDescription;
  readonly circles: readonly Circle[];
  /** Every node of every circle. */
  readonly nodes: readonly InfluxNode[];
  /** Position of each node in `nodes` (the write path keeps one part per node in an array). */
  readonly nodeIndex: ReadonlyMap<InfluxNode, number>;
  /** Owners of the lines of a write, by measurement bytes. */
  readonly measurementOwners: MeasurementOwners;
  /** Requests holding this topology now (Cluster.begin/end). */
  held = 0;
  readonly #owners = new Map<string, readonly InfluxNode[]>();
  readonly #cacheSize: number;

  constructor(description: TopologyDescription, nodes: ReadonlyMap<string, InfluxNode>, cacheSize: number) {
    this.version = description.version;
    this.description = description;
    this.circles = description.circles.map((circle) => new Circle(circle, nodes, description.ring.mode, description.ring.hashKey));
    this.nodes = this.circles.flatMap((circle) => circle.nodes);
    this.nodeIndex = new Map(this.nodes.map((node, i) => [node, i]));
    this.#cacheSize = cacheSize;
    this.measurementOwners = new MeasurementOwners(this, cacheSize);
  }

  /** A topology straight from the config file's circles, with nodes of its own (tools and tests). */
  static fromConfig(config: Config): Topology {
    const description = describeConfig(config);
    const nodes = new Map<string, InfluxNode>();
    for (const circle of config.circles) {
      for (const node of circle.nodes) nodes.set(node.name, new InfluxNode(node, circle.name, config.write.maxInFlightPerNode + 2));
    }
    return new Topology(description, nodes, config.ring.cacheSize);
  }

  /** The owner that answers reads of `shardKey` in every circle, in circle order. */
  owners(shardKey: string): readonly InfluxNode[] {
    let owners = this.#owners.get(shardKey);
    if (owners === undefined) {
      owners = this.circles.map((circle) => circle.owner(shardKey));
      if (this.#owners.size >= this.#cacheSize) this.#owners.clear();
      this.#owners.set(shardKey, owners);
    }
    return owners;
  }

  /**
   * Every node that takes the writes of `shardKey`: one per circle, two in a circle changing its ring
   * (not cached here: the write path asks through measurementOwners, which caches by measurement).
   */
  writeOwners(shardKey: string): readonly InfluxNode[] {
    return this.circles.flatMap((circle) => circle.writeOwners(shardKey));
  }

  /** Whether `shardKey` is being copied to a new owner in some circle. */
  copying(shardKey: string): boolean {
    return this.circles.some((circle) => circle.copying(shardKey));
  }

  node(name: string): InfluxNode | undefined {
    return this.nodes.find((node) => node.name === name);
  }

  /** Closes the nodes' connection pools (for a topology made by fromConfig). */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.close()));
  }
}
