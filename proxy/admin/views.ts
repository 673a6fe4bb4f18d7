// What the admin API shows of circles and nodes: the stored topology (passwords never shown) joined
// with what this proxy process sees of each node now (health, buffer, catalog).
import type { InfluxNode } from '../node.js';
import type { Topology } from '../topology.js';
import type { CircleDescription, NodeDescription } from '../topology-description.js';

export type NodeRole = 'member' | 'joining' | 'leaving';

export interface NodeView {
  readonly name: string;
  readonly url: string;
  readonly circle: string;
  /** member: in the ring; joining: in the next ring only (being filled); leaving: in the current ring only. */
  readonly role: NodeRole;
  readonly username: string;
  readonly hasPassword: boolean;
  readonly writeOnly: boolean;
  readonly maintenance: boolean;
  /** Serves reads now (healthy, catalog applied, nothing to replay, not write-only, not in maintenance). */
  readonly active: boolean;
  readonly inactiveReason: string | null;
  readonly healthy: boolean;
  readonly buffering: boolean;
  readonly replaying: boolean;
  readonly buffered: { readonly batches: number; readonly points: number; readonly bytes: number };
  readonly catalogBehind: number;
  readonly version: string | null;
  readonly lastError: string | null;
}

export interface CircleView {
  readonly name: string;
  readonly members: readonly string[];
  readonly next: readonly string[] | null;
  readonly phase: CircleDescription['phase'];
  readonly nodes: readonly NodeView[];
}

function roleOf(circle: CircleDescription, name: string): NodeRole {
  if (circle.next === null) return 'member';
  const inMembers = circle.members.includes(name);
  const inNext = circle.next.includes(name);
  if (inMembers && inNext) return 'member';
  return inNext ? 'joining' : 'leaving';
}

/** What this proxy process sees of a node now (shared with GET /health). */
export function nodeState(node: InfluxNode) {
  return {
    active: node.active,
    healthy: node.healthy,
    writeOnly: node.writeOnly,
    buffering: node.buffering,
    replaying: node.replaying,
    catalogBehind: node.catalogBehind,
    buffered: { batches: node.buffered.entries, points: node.buffered.points, bytes: node.buffered.bytes },
    version: node.version,
    lastError: node.lastError,
  };
}

export function nodeView(circle: CircleDescription, description: NodeDescription, node: InfluxNode | undefined): NodeView {
  return {
    name: description.name,
    url: description.url,
    circle: circle.name,
    role: roleOf(circle, description.name),
    username: description.username,
    hasPassword: description.password !== '',
    ...(node === undefined
      ? { active: false, healthy: false, buffering: false, replaying: false, buffered: { batches: 0, points: 0, bytes: 0 }, catalogBehind: 0, version: null, lastError: null }
      : nodeState(node)),
    writeOnly: description.writeOnly,
    maintenance: description.maintenance,
    inactiveReason: node === undefined ? 'is not known to this proxy yet' : node.inactiveReason,
  };
}

export function circleView(circle: CircleDescription, topology: Topology): CircleView {
  return {
    name: circle.name,
    members: circle.members,
    next: circle.next,
    phase: circle.phase,
    nodes: circle.nodes.map((node) => nodeView(circle, node, topology.node(node.name))),
  };
}
