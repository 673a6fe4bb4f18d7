// The live cluster of one proxy process: the current Topology, swapped atomically when the stored
// topology changes, and the parts each node needs here (its connection pool, batcher and replayer),
// made for a node that appears and closed for one that is gone.
//
// Requests hold the Topology they started with (`begin`/`end`), so a change never applies to half a
// request. The oldest version still held is what this process reports to Redis: an operation that
// needs every proxy on a new version (a rebalance before it copies, before it cleans up) waits for it.
import type { Logger } from 'pino';
import type { InfluxNode } from './node.js';
import { InfluxNode as Node } from './node.js';
import type { Replayer } from './replayer.js';
import { Topology } from './topology.js';
import type { TopologyDescription } from './topology-description.js';
import type { NodeBatcher } from './write-batcher.js';

export interface NodeParts {
  readonly batcher: NodeBatcher;
  readonly replayer: Replayer;
}

export interface ClusterOptions {
  /** Connections of each node's pool. */
  readonly connectionsPerNode: number;
  /** Bound of the shard key → owners caches. */
  readonly cacheSize: number;
  /** Makes a node's batcher and replayer. */
  readonly createParts: (node: InfluxNode) => NodeParts;
  readonly log: Logger;
}

type ChangeListener = (next: Topology, previous: Topology) => void;

export class Cluster {
  #topology: Topology;
  readonly #nodes = new Map<string, InfluxNode>();
  readonly #parts = new Map<InfluxNode, NodeParts>();
  /** Older topologies that requests still hold (the current one is not in it). */
  readonly #older = new Set<Topology>();
  /** Nodes gone from the topology, closed once no request holds a version that has them. */
  #retired: { node: InfluxNode; before: number }[] = [];
  readonly #listeners: ChangeListener[] = [];
  readonly #options: ClusterOptions;
  /** The first topology is built (nodes made later are joining a running proxy). */
  #started = false;
  /** The nodes' InfluxDB version for response headers (see version.ts), refreshed by health checks. */
  influxdbVersion = 'unknown';

  constructor(description: TopologyDescription, options: ClusterOptions) {
    this.#options = options;
    this.#topology = this.#build(description);
    this.#started = true;
  }

  get topology(): Topology {
    return this.#topology;
  }

  /** Every node of the current topology. */
  get nodes(): readonly InfluxNode[] {
    return this.#topology.nodes;
  }

  parts(node: InfluxNode): NodeParts {
    const parts = this.#parts.get(node);
    if (parts === undefined) throw new Error(`node ${node.name} has no parts in this process`);
    return parts;
  }

  onChange(listener: ChangeListener): void {
    this.#listeners.push(listener);
  }

  /** The topology for a request, held until `end`. */
  begin(): Topology {
    const topology = this.#topology;
    topology.held++;
    return topology;
  }

  end(topology: Topology): void {
    topology.held--;
    // Only the last request of an older topology can let retired nodes go.
    if (topology.held === 0 && topology !== this.#topology && this.#older.delete(topology) && this.#retired.length > 0) void this.#closeRetired();
  }

  /** The oldest topology version a request of this process still uses (the current one when idle). */
  oldestVersionInUse(): number {
    let oldest = this.#topology.version;
    for (const topology of this.#older) oldest = Math.min(oldest, topology.version);
    return oldest;
  }

  /** Moves to a newer stored topology; an older or equal version is ignored. True when it changed. */
  apply(description: TopologyDescription): boolean {
    if (description.version <= this.#topology.version) return false;
    const previous = this.#topology;
    const next = this.#build(description);
    this.#topology = next;
    if (previous.held > 0) this.#older.add(previous);
    const current = new Set(next.nodes);
    for (const node of previous.nodes) {
      if (!current.has(node)) this.#retired.push({ node, before: next.version });
    }
    this.#options.log.info({ version: next.version, previous: previous.version }, 'topology changed');
    for (const listener of this.#listeners) listener(next, previous);
    if (this.#retired.length > 0) void this.#closeRetired();
    return true;
  }

  /** Builds a Topology from a description, reusing this process's nodes that did not change. */
  #build(description: TopologyDescription): Topology {
    const byName = new Map<string, InfluxNode>();
    for (const circle of description.circles) {
      for (const node of circle.nodes) {
        let existing = this.#nodes.get(node.name);
        if (existing !== undefined && !existing.serves(node, circle.name)) {
          // Same name, another server: a new node (the old one is retired with its version).
          this.#nodes.delete(node.name);
          existing = undefined;
        }
        if (existing === undefined) {
          existing = new Node(node, circle.name, this.#options.connectionsPerNode);
          this.#nodes.set(node.name, existing);
          this.#parts.set(existing, this.#options.createParts(existing));
          if (this.#started) {
            // A node that joins takes no write directly until a health check has found it up and
            // given it the catalog: until then its writes wait in its replay buffer.
            existing.healthy = false;
            existing.recordError('joined the topology; not checked yet');
          }
        }
        existing.writeOnly = node.writeOnly;
        if (node.maintenance && !existing.maintenance) {
          existing.healthy = false;
          existing.abortInFlight(`node ${node.name} is out for maintenance`);
        }
        existing.maintenance = node.maintenance;
        byName.set(node.name, existing);
      }
    }
    return new Topology(description, byName, this.#options.cacheSize);
  }

  async #closeRetired(): Promise<void> {
    const oldest = this.oldestVersionInUse();
    const due = this.#retired.filter((r) => oldest >= r.before && !this.#topology.nodes.includes(r.node));
    if (due.length === 0) return;
    this.#retired = this.#retired.filter((r) => !due.includes(r));
    for (const { node } of due) {
      const parts = this.#parts.get(node);
      this.#parts.delete(node);
      if (this.#nodes.get(node.name) === node) this.#nodes.delete(node.name);
      this.#options.log.info({ node: node.name }, 'node left the topology; closing its connections');
      await parts?.batcher.drain();
      await parts?.replayer.stop();
      await node.close();
    }
  }

  /** Stops every node's parts and closes the pools (the proxy is stopping). */
  async close(): Promise<void> {
    await Promise.all([...this.#parts.values()].map((parts) => parts.batcher.drain()));
    await Promise.all([...this.#parts.values()].map((parts) => parts.replayer.stop()));
    await Promise.all([...this.#parts.keys()].map((node) => node.close()));
  }
}
