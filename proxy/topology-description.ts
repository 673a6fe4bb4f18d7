// The topology as operators change it and as Redis stores it: circles, their nodes, the ring mode, and
// a version that grows with every change. Every proxy builds its routing from it (topology.ts).
//
// While a circle's ring changes (a node added or removed), the circle has a `next` ring beside its
// `members`: writes go to the owner in both rings, so both hold every new point, while a rebalance
// copies what the next owners lack. Reads use `members` during the copy (`phase: 'copy'`) and `next`
// once it is done (`'switched'`); committing makes `next` the members. The changes here are pure: each
// returns a new description (version + 1) or throws a TopologyChangeError saying why not.
import { z } from 'zod';
import type { Config } from '../config/schema.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const name = z.string().regex(NAME, 'expected 1-63 letters, digits, "_", "." or "-"');

export const nodeDescriptionSchema = z.object({
  name,
  url: z.url({ protocol: /^https?$/ }),
  username: z.string(),
  password: z.string(),
  /** Takes writes, serves no reads (being filled). */
  writeOnly: z.boolean(),
  /** Out for maintenance: no reads, its writes wait in its replay buffer, no health checks. */
  maintenance: z.boolean(),
});

export const circleDescriptionSchema = z.object({
  name,
  /** Every node of the circle: members, and nodes joining or leaving. */
  nodes: z.array(nodeDescriptionSchema),
  /** The ring (node names, in ring order) that owns the data now. */
  members: z.array(name).min(1),
  /** The ring being moved to, or null. */
  next: z.array(name).min(1).nullable(),
  phase: z.enum(['copy', 'switched']).nullable(),
});

export const topologyDescriptionSchema = z.object({
  version: z.number().int().positive(),
  ring: z.object({ mode: z.enum(['ketama', 'influx-proxy']), hashKey: z.enum(['idx', 'exi']) }),
  circles: z.array(circleDescriptionSchema).min(1),
});

export type NodeDescription = z.infer<typeof nodeDescriptionSchema>;
export type CircleDescription = z.infer<typeof circleDescriptionSchema>;
export type TopologyDescription = z.infer<typeof topologyDescriptionSchema>;

/** Why a change cannot be made: `status` is the admin API's answer (400 bad input, 404, 409 conflict). */
export class TopologyChangeError extends Error {
  override readonly name = 'TopologyChangeError';
  readonly status: 400 | 404 | 409;

  constructor(status: 400 | 404 | 409, message: string) {
    super(message);
    this.status = status;
  }
}

/** The first topology, from the config file's circles. */
export function describeConfig(config: Config): TopologyDescription {
  return {
    version: 1,
    ring: { mode: config.ring.mode, hashKey: config.ring.hashKey },
    circles: config.circles.map((circle) => ({
      name: circle.name,
      nodes: circle.nodes.map((node) => ({ ...node, maintenance: false })),
      members: circle.nodes.map((node) => node.name),
      next: null,
      phase: null,
    })),
  };
}

/** Checks what the schema cannot: unique names and URLs, rings made of the circle's nodes. */
export function validateTopology(topology: TopologyDescription): TopologyDescription {
  const parsed = topologyDescriptionSchema.parse(topology);
  const names = new Set<string>();
  const urls = new Set<string>();
  const circles = new Set<string>();
  for (const circle of parsed.circles) {
    if (circles.has(circle.name)) throw new TopologyChangeError(400, `circle ${circle.name} appears twice`);
    circles.add(circle.name);
    const own = new Set(circle.nodes.map((node) => node.name));
    for (const node of circle.nodes) {
      if (names.has(node.name)) throw new TopologyChangeError(409, `a node named ${node.name} already exists`);
      const url = node.url.replace(/\/+$/, '');
      if (urls.has(url)) throw new TopologyChangeError(409, `a node with URL ${url} already exists`);
      names.add(node.name);
      urls.add(url);
    }
    const rings = [circle.members, ...(circle.next === null ? [] : [circle.next])];
    for (const ring of rings) {
      for (const member of ring) if (!own.has(member)) throw new TopologyChangeError(400, `circle ${circle.name}: ring node ${member} is not one of its nodes`);
      if (new Set(ring).size !== ring.length) throw new TopologyChangeError(400, `circle ${circle.name}: a node appears twice in a ring`);
    }
    for (const node of own) {
      if (!circle.members.includes(node) && !(circle.next ?? []).includes(node)) throw new TopologyChangeError(400, `circle ${circle.name}: node ${node} is in no ring`);
    }
    if ((circle.next === null) !== (circle.phase === null)) throw new TopologyChangeError(400, `circle ${circle.name}: a next ring needs a phase, and only then`);
  }
  return parsed;
}

/** The circle named so. */
export function circleOf(topology: TopologyDescription, circleName: string): CircleDescription {
  const circle = topology.circles.find((c) => c.name === circleName);
  if (circle === undefined) throw new TopologyChangeError(404, `no circle named ${circleName}`);
  return circle;
}

/** The circle holding node `nodeName`. */
export function circleOfNode(topology: TopologyDescription, nodeName: string): CircleDescription {
  const circle = topology.circles.find((c) => c.nodes.some((node) => node.name === nodeName));
  if (circle === undefined) throw new TopologyChangeError(404, `no node named ${nodeName}`);
  return circle;
}

function changed(topology: TopologyDescription, circles: CircleDescription[]): TopologyDescription {
  return validateTopology({ ...topology, version: topology.version + 1, circles });
}

function replaceCircle(topology: TopologyDescription, circle: CircleDescription): TopologyDescription {
  return changed(
    topology,
    topology.circles.map((c) => (c.name === circle.name ? circle : c)),
  );
}

/** A ring change on a circle: `next` becomes `ring`, in phase copy (or none when it equals the members). */
function withNext(circle: CircleDescription, ring: string[]): CircleDescription {
  if (ring.length === 0) throw new TopologyChangeError(409, `circle ${circle.name} needs at least one node`);
  if (circle.phase === 'switched') throw new TopologyChangeError(409, `circle ${circle.name} is finishing a rebalance (reads already moved): wait for it to be committed`);
  const same = ring.length === circle.members.length && ring.every((node, i) => circle.members[i] === node);
  const next = same ? null : ring;
  const inRings = new Set([...circle.members, ...(next ?? [])]);
  return { ...circle, nodes: circle.nodes.filter((node) => inRings.has(node.name)), next, phase: next === null ? null : 'copy' };
}

export interface NewNode {
  readonly name: string;
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
}

/**
 * A new circle. Its nodes are empty, so they start write-only: they take every write from now on but
 * serve no reads until a recovery has copied the data from another circle (`filled`: they already
 * hold it).
 */
export function addCircle(topology: TopologyDescription, circleName: string, nodes: readonly NewNode[], filled = false): TopologyDescription {
  if (topology.circles.some((c) => c.name === circleName)) throw new TopologyChangeError(409, `a circle named ${circleName} already exists`);
  if (nodes.length === 0) throw new TopologyChangeError(400, 'a circle needs at least one node');
  const described = nodes.map((node) => ({ name: node.name, url: node.url, username: node.username ?? '', password: node.password ?? '', writeOnly: !filled, maintenance: false }));
  return changed(topology, [...topology.circles, { name: circleName, nodes: described, members: described.map((n) => n.name), next: null, phase: null }]);
}

/** A node joins a circle's next ring: it takes writes for what it will own at once; a rebalance fills it. */
export function addNode(topology: TopologyDescription, circleName: string, node: NewNode): TopologyDescription {
  const circle = circleOf(topology, circleName);
  const ring = [...(circle.next ?? circle.members), node.name];
  const joined = { ...circle, nodes: [...circle.nodes, { name: node.name, url: node.url, username: node.username ?? '', password: node.password ?? '', writeOnly: false, maintenance: false }] };
  return replaceCircle(topology, withNext(joined, ring));
}

/**
 * A node leaves its circle's next ring: a rebalance moves what it owns to the others, then it is gone.
 * A node that was only joining (never a member) leaves at once.
 */
export function removeNode(topology: TopologyDescription, nodeName: string): TopologyDescription {
  const circle = circleOfNode(topology, nodeName);
  const ring = (circle.next ?? circle.members).filter((member) => member !== nodeName);
  if (ring.length === (circle.next ?? circle.members).length) throw new TopologyChangeError(409, `node ${nodeName} is already leaving circle ${circle.name}`);
  return replaceCircle(topology, withNext(circle, ring));
}

export interface NodeChange {
  readonly url?: string;
  readonly username?: string;
  readonly password?: string;
  readonly writeOnly?: boolean;
  readonly maintenance?: boolean;
}

/** Changes a node's flags, address or credentials (its place in the rings stays). */
export function updateNode(topology: TopologyDescription, nodeName: string, change: NodeChange): TopologyDescription {
  const circle = circleOfNode(topology, nodeName);
  return replaceCircle(topology, {
    ...circle,
    nodes: circle.nodes.map((node) => (node.name === nodeName ? { ...node, ...change } : node)),
  });
}

/** The copy of a rebalance is done: reads move to the next ring (writes still go to both). */
export function switchReads(topology: TopologyDescription, circleName: string): TopologyDescription {
  const circle = circleOf(topology, circleName);
  if (circle.phase !== 'copy') throw new TopologyChangeError(409, `circle ${circleName} has no rebalance in its copy phase`);
  return replaceCircle(topology, { ...circle, phase: 'switched' });
}

/** Every proxy reads from the next ring: it becomes the members; nodes in no ring leave the circle. */
export function commitRing(topology: TopologyDescription, circleName: string): TopologyDescription {
  const circle = circleOf(topology, circleName);
  if (circle.phase !== 'switched' || circle.next === null) throw new TopologyChangeError(409, `circle ${circleName} has no switched rebalance to commit`);
  const members = circle.next;
  return replaceCircle(topology, { ...circle, members, next: null, phase: null, nodes: circle.nodes.filter((node) => members.includes(node.name)) });
}

/** Nodes that are in a circle's next ring but not its members (joining), and the reverse (leaving). */
export function ringChanges(circle: CircleDescription): { joining: string[]; leaving: string[] } {
  if (circle.next === null) return { joining: [], leaving: [] };
  const next = circle.next;
  return { joining: next.filter((n) => !circle.members.includes(n)), leaving: circle.members.filter((n) => !next.includes(n)) };
}
