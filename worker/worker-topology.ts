// The worker's view of the cluster: the stored topology with a connection pool per node, rebuilt from
// Redis whenever a job needs the current one (a job changes it as it goes), keeping the pools of nodes
// that did not change. The worker has no health checks of its own: node-readiness.ts asks the node and
// Redis directly.
import { InfluxNode } from '../proxy/node.js';
import { Topology } from '../proxy/topology.js';
import type { TopologyDescription } from '../proxy/topology-description.js';
import type { TopologyStore } from '../proxy/topology-store.js';

export class WorkerTopology {
  readonly #store: TopologyStore;
  readonly #nodes = new Map<string, InfluxNode>();
  readonly #cacheSize: number;

  constructor(store: TopologyStore, cacheSize: number) {
    this.#store = store;
    this.#cacheSize = cacheSize;
  }

  async current(): Promise<Topology> {
    const description = await this.#store.load();
    if (description === null) throw new Error('no topology in Redis yet: start a proxy first (it seeds the topology from its configuration)');
    return this.build(description);
  }

  build(description: TopologyDescription): Topology {
    const byName = new Map<string, InfluxNode>();
    for (const circle of description.circles) {
      for (const node of circle.nodes) {
        let existing = this.#nodes.get(node.name);
        if (existing !== undefined && !existing.serves(node, circle.name)) {
          void existing.close();
          existing = undefined;
        }
        if (existing === undefined) {
          existing = new InfluxNode(node, circle.name, 4);
          this.#nodes.set(node.name, existing);
        }
        existing.writeOnly = node.writeOnly;
        existing.maintenance = node.maintenance;
        byName.set(node.name, existing);
      }
    }
    return new Topology(description, byName, this.#cacheSize);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#nodes.values()].map((node) => node.close()));
    this.#nodes.clear();
  }
}
