// A circle: nodes that together hold one full copy of the data, and the ring that places each shard
// key on exactly one of them (its owner). While its ring changes, a circle has two rings: writes go to
// the owner in both, reads to the owner in the ring that holds the data (see topology-description.ts).
import type { CircleDescription } from './topology-description.js';
import { createHashRing, type HashRing, type InfluxProxyHashKey, type RingMode } from './hash-ring.js';
import type { InfluxNode } from './node.js';

class Ring {
  readonly nodes: readonly InfluxNode[];
  readonly #ring: HashRing;

  constructor(nodes: readonly InfluxNode[], mode: RingMode, hashKey: InfluxProxyHashKey) {
    this.nodes = nodes;
    this.#ring = createHashRing(
      mode,
      nodes.map((node) => node.name),
      hashKey,
    );
  }

  owner(shardKey: string): InfluxNode {
    return this.nodes[this.#ring.owner(shardKey)] as InfluxNode;
  }
}

export class Circle {
  readonly name: string;
  /** Every node of the circle, also those joining or leaving its ring. */
  readonly nodes: readonly InfluxNode[];
  /** The nodes of the ring reads use: together they hold all the data. */
  readonly readNodes: readonly InfluxNode[];
  readonly phase: CircleDescription['phase'];
  readonly #members: Ring;
  readonly #next: Ring | null;
  readonly #read: Ring;
  /** The ring other than the read ring that takes writes too, during a ring change. */
  readonly #other: Ring | null;

  constructor(description: CircleDescription, nodes: ReadonlyMap<string, InfluxNode>, mode: RingMode, hashKey: InfluxProxyHashKey) {
    const pick = (names: readonly string[]): InfluxNode[] => names.map((name) => nodes.get(name) as InfluxNode);
    this.name = description.name;
    this.nodes = pick(description.nodes.map((node) => node.name));
    this.phase = description.phase;
    const members = new Ring(pick(description.members), mode, hashKey);
    const next = description.next === null ? null : new Ring(pick(description.next), mode, hashKey);
    this.#members = members;
    this.#next = next;
    this.#read = description.phase === 'switched' && next !== null ? next : members;
    this.#other = next === null ? null : this.#read === next ? members : next;
    this.readNodes = this.#read.nodes;
  }

  /** The node that answers reads of `shardKey`. */
  owner(shardKey: string): InfluxNode {
    return this.#read.owner(shardKey);
  }

  /** The nodes that take the writes of `shardKey`: its owner, and during a ring change its other owner. */
  writeOwners(shardKey: string): InfluxNode[] {
    const owner = this.#read.owner(shardKey);
    const other = this.#other?.owner(shardKey);
    return other === undefined || other === owner ? [owner] : [owner, other];
  }

  /** The owner of `shardKey` in the members' ring (where the data is before a ring change). */
  memberOwner(shardKey: string): InfluxNode {
    return this.#members.owner(shardKey);
  }

  /** The owner of `shardKey` in the next ring, or null when the ring is not changing. */
  nextOwner(shardKey: string): InfluxNode | null {
    return this.#next?.owner(shardKey) ?? null;
  }

  /** Whether `shardKey` is being copied to another owner (its data is not complete there yet). */
  copying(shardKey: string): boolean {
    return this.phase === 'copy' && this.#other !== null && this.#other.owner(shardKey) !== this.#read.owner(shardKey);
  }
}
