// How each InfluxQL statement is answered (DESIGN.md, "Query routing"): which nodes of a circle run it,
// with what text, and how their answers combine — or, for DDL and data changes, which nodes of every
// circle must apply it — or why it is refused. Pure: decided from the statement, the request's db and
// the rings; the executor picks the circle and talks to nodes.
import type { StatementText } from './influxql-tokens.js';
import {
  hasSubquery,
  rewriteClauses,
  selectMeasurements,
  type Clauses,
  type MeasurementRef,
  type Source,
  type Statement,
} from './influxql-statement.js';
import type { InfluxNode } from './node.js';
import { shardKey } from './shard-key.js';
import type { Topology } from './topology.js';

export type MergeSpec =
  /** Per-measurement series, in InfluxDB's order; SLIMIT/SOFFSET re-applied; wildcard columns unified. */
  | { readonly type: 'series'; readonly slimit: number | null; readonly soffset: number | null; readonly wildcard: boolean }
  /** A one-column list (SHOW MEASUREMENTS, SERIES, DATABASES): union, order, limits re-applied. */
  | {
      readonly type: 'list';
      readonly name: string | undefined;
      readonly column: string;
      readonly sort: boolean;
      readonly limit: number | null;
      readonly offset: number | null;
    }
  /** One count per node, added up. */
  | { readonly type: 'sum' };

export type Plan =
  /**
   * Read from one circle: `nodes(circle)` are the nodes that must answer (all of them active); one
   * node and no merge means the node's answer is passed through as it is.
   */
  | {
      readonly kind: 'read';
      readonly text: string;
      readonly db: string | null;
      readonly nodes: (circle: number) => InfluxNode[];
      readonly merge: MergeSpec | null;
      /** The database whose measurements the series name (for dropping misplaced copies), or null. */
      readonly ownerDb: string | null;
    }
  /** A change of the catalog (databases, retention policies), applied to every node of every circle. */
  | { readonly kind: 'catalog'; readonly text: string; readonly db: string | null }
  /**
   * A change of data (DELETE, DROP SERIES, DROP MEASUREMENT, SELECT … INTO): run by `nodes(circle)` in
   * every circle, in order with the writes of `shardKeys` (null: every key), queued for a node that is
   * down.
   */
  | {
      readonly kind: 'modify';
      readonly text: string;
      readonly db: string;
      readonly nodes: (circle: number) => InfluxNode[];
      readonly shardKeys: ReadonlySet<string> | null;
    }
  /** The statement fails as influxd would fail it, without asking a node. */
  | { readonly kind: 'error'; readonly message: string }
  /** InfluxRing cannot answer it exactly: refused, saying why and what to do instead. */
  | { readonly kind: 'refuse'; readonly message: string };

export interface PlanContext {
  readonly topology: Topology;
  /** The request's `db` parameter. */
  readonly db: string | null;
  /** Databases never shown (the proxy's own). */
  readonly hiddenDatabases: ReadonlySet<string>;
}

const DATABASE_REQUIRED: Plan = { kind: 'error', message: 'database name required' };

const REFUSALS: readonly { readonly words: RegExp; readonly message: string }[] = [
  {
    words: /^(SHOW USERS|CREATE USER|DROP USER|SET PASSWORD|GRANT|REVOKE|SHOW GRANTS)/,
    message:
      "user management is not routed: the proxy's own users are in its configuration (auth.users, passwords hashed with `influxring-proxy hash-password`); manage each node's users on that node",
  },
  {
    words: /^(CREATE CONTINUOUS|DROP CONTINUOUS|SHOW CONTINUOUS)/,
    message:
      "continuous queries run inside one node and would see only that node's share of the data; run the SELECT … INTO through the proxy on a schedule instead (allowed when source and target have the same owner)",
  },
  { words: /^(SHOW QUERIES|KILL QUERY)/, message: 'queries run on several nodes: use SHOW QUERIES and KILL QUERY on each node directly' },
  { words: /^(SHOW DIAGNOSTICS|SHOW STATS)/, message: "these describe one node: ask each node directly; the proxy's own state is at /health and /metrics" },
  { words: /^(SHOW SHARD|DROP SHARD)/, message: 'shards belong to each node: ask or change each node directly' },
  { words: /^(SHOW SUBSCRIPTIONS|CREATE SUBSCRIPTION|DROP SUBSCRIPTION)/, message: "subscriptions belong to each node and see only its share of the data: set them up on each node directly" },
];

function refusal(words: string): Plan {
  const found = REFUSALS.find((r) => r.words.test(words));
  return { kind: 'refuse', message: found?.message ?? `InfluxRing does not route \`${words || 'this statement'}\`` };
}

/** Database of a measurement reference, or of the request. */
function dbOf(ref: MeasurementRef, context: PlanContext): string | null {
  return ref.db ?? context.db;
}

/** For each circle: the nodes owning these measurements (every node of the circle for a regex). */
function ownersByCircle(refs: readonly MeasurementRef[], context: PlanContext): ((circle: number) => InfluxNode[]) | null {
  const { topology } = context;
  const perCircle: InfluxNode[][] = topology.circles.map(() => []);
  for (const ref of refs) {
    const db = dbOf(ref, context);
    if (db === null) return null;
    if (ref.name === null) {
      topology.circles.forEach((circle, c) => {
        perCircle[c] = [...circle.nodes];
      });
      continue;
    }
    const owners = topology.owners(shardKey(db, ref.name));
    owners.forEach((owner, c) => {
      const list = perCircle[c] as InfluxNode[];
      if (!list.includes(owner)) list.push(owner);
    });
  }
  return (circle) => perCircle[circle] ?? [];
}

const everyNode =
  (topology: Topology) =>
  (circle: number): InfluxNode[] => [...(topology.circles[circle]?.nodes ?? [])];

function maxNodes(nodes: (circle: number) => InfluxNode[], topology: Topology): number {
  return Math.max(0, ...topology.circles.map((_, c) => nodes(c).length));
}

function describeOwners(refs: readonly MeasurementRef[], context: PlanContext): string {
  return refs
    .map((ref) => {
      if (ref.name === null) return `/${ref.regex ?? ''}/ (every node)`;
      const db = dbOf(ref, context) ?? '';
      return `${ref.name} on ${context.topology.owners(shardKey(db, ref.name)).map((n) => n.name).join('/')}`;
    })
    .join(', ');
}

export function planStatement(statement: Statement, text: StatementText, context: PlanContext): Plan {
  const { topology } = context;
  switch (statement.kind) {
    case 'select': {
      const { select } = statement;
      const refs = selectMeasurements(select);
      if (refs.length === 0) return { kind: 'read', text: text.text, db: context.db, nodes: (c) => firstNode(topology, c), merge: null, ownerDb: null };
      const nodes = ownersByCircle(refs, context);
      if (nodes === null) return DATABASE_REQUIRED;
      if (select.into !== null) return planInto(statement, text, refs, nodes, context);
      const spread = maxNodes(nodes, topology);
      if (spread <= 1) return { kind: 'read', text: text.text, db: context.db, nodes, merge: null, ownerDb: null };
      if (statement.explain) {
        return { kind: 'refuse', message: `EXPLAIN describes the plan of one node, but this statement reads from several (${describeOwners(refs, context)}): explain one measurement at a time` };
      }
      if (hasSubquery(select)) {
        return {
          kind: 'refuse',
          message: `this statement's subquery reads measurements that live on different nodes (${describeOwners(refs, context)}); a subquery is answered exactly only when every measurement it reads has the same owner: query them separately`,
        };
      }
      const { slimit, soffset } = select.clauses;
      const sent = slimit === null && soffset === null ? text.text : rewriteClauses(text, [slimit, soffset], slimit === null ? '' : `SLIMIT ${slimit.value + (soffset?.value ?? 0)}`);
      const db = refs.every((r) => r.db !== null && r.db === refs[0]?.db) ? (refs[0]?.db ?? null) : context.db;
      return {
        kind: 'read',
        text: sent,
        db: context.db,
        nodes,
        merge: { type: 'series', slimit: slimit?.value ?? null, soffset: soffset?.value ?? null, wildcard: select.wildcard },
        ownerDb: db,
      };
    }
    case 'show-databases':
      return { kind: 'read', text: text.text, db: context.db, nodes: everyNode(topology), merge: { type: 'list', name: 'databases', column: 'name', sort: false, limit: null, offset: null }, ownerDb: null };
    case 'show-retention-policies': {
      const db = statement.on ?? context.db;
      if (db === null) return DATABASE_REQUIRED;
      return { kind: 'read', text: text.text, db: context.db, nodes: (c) => firstNode(topology, c), merge: null, ownerDb: null };
    }
    case 'show-measurements':
      return planList(text, statement.on, statement.clauses, context, 'measurements', 'name');
    case 'show-series': {
      if (statement.sources.length > 0) {
        const single = singleOwnerRead(text, statement.sources, context);
        if (single !== null) return single;
      }
      return planList(text, statement.on, statement.clauses, context, undefined, 'key');
    }
    case 'show-tag-keys':
    case 'show-tag-values':
    case 'show-field-keys': {
      const db = statement.on ?? context.db;
      if (db === null) return DATABASE_REQUIRED;
      const single = singleOwnerRead(text, statement.sources, context);
      if (single !== null) return single;
      return { kind: 'read', text: text.text, db: context.db, nodes: sourceNodes(statement.sources, statement.on, context), merge: { type: 'series', slimit: null, soffset: null, wildcard: false }, ownerDb: db };
    }
    case 'cardinality': {
      const db = statement.on ?? context.db;
      if (db === null) return DATABASE_REQUIRED;
      const nodes = sourceNodes(statement.sources, statement.on, context);
      const sum = /^(MEASUREMENT( EXACT)? CARDINALITY|SERIES CARDINALITY)$/.test(statement.what);
      if (maxNodes(nodes, topology) <= 1) return { kind: 'read', text: text.text, db: context.db, nodes, merge: null, ownerDb: null };
      return { kind: 'read', text: text.text, db: context.db, nodes, merge: sum ? { type: 'sum' } : { type: 'series', slimit: null, soffset: null, wildcard: false }, ownerDb: db };
    }
    case 'create-database':
    case 'drop-database':
    case 'create-retention-policy':
    case 'alter-retention-policy':
    case 'drop-retention-policy':
      return { kind: 'catalog', text: text.text, db: context.db };
    case 'drop-measurement': {
      if (context.db === null) return DATABASE_REQUIRED;
      const key = shardKey(context.db, statement.name);
      const owners = topology.owners(key);
      return { kind: 'modify', text: text.text, db: context.db, nodes: (c) => (owners[c] === undefined ? [] : [owners[c] as InfluxNode]), shardKeys: new Set([key]) };
    }
    case 'delete':
    case 'drop-series': {
      const db = statement.on ?? context.db;
      if (db === null) return DATABASE_REQUIRED;
      const refs = measurementRefs(statement.sources);
      if (refs.length === 0 || refs.some((r) => r.name === null)) return { kind: 'modify', text: text.text, db, nodes: everyNode(topology), shardKeys: null };
      const nodes = ownersByCircle(refs.map((r) => ({ ...r, db: r.db ?? db })), context);
      if (nodes === null) return DATABASE_REQUIRED;
      return { kind: 'modify', text: text.text, db, nodes, shardKeys: new Set(refs.map((r) => shardKey(r.db ?? db, r.name as string))) };
    }
    case 'other':
      return refusal(statement.words);
  }
}

function firstNode(topology: Topology, circle: number): InfluxNode[] {
  const node = topology.circles[circle]?.nodes[0];
  return node === undefined ? [] : [node];
}

function measurementRefs(sources: readonly Source[]): MeasurementRef[] {
  return sources.flatMap((s) => (s.kind === 'measurement' ? [s.ref] : []));
}

/** The nodes answering a SHOW … FROM: the owners of the named measurements, or every node. */
function sourceNodes(sources: readonly Source[], on: string | null, context: PlanContext): (circle: number) => InfluxNode[] {
  const refs = measurementRefs(sources).map((r) => ({ ...r, db: r.db ?? on ?? context.db }));
  if (refs.length === 0) return everyNode(context.topology);
  return ownersByCircle(refs, context) ?? everyNode(context.topology);
}

/** A SHOW … FROM whose measurements all live on one node per circle: that node's answer is the answer. */
function singleOwnerRead(text: StatementText, sources: readonly Source[], context: PlanContext): Plan | null {
  const refs = measurementRefs(sources);
  if (refs.length === 0 || refs.some((r) => r.name === null)) return null;
  const nodes = sourceNodes(sources, null, context);
  return maxNodes(nodes, context.topology) === 1 ? { kind: 'read', text: text.text, db: context.db, nodes, merge: null, ownerDb: null } : null;
}

/** SHOW MEASUREMENTS / SHOW SERIES: every node; LIMIT made LIMIT+OFFSET and OFFSET dropped, both applied after the union. */
function planList(text: StatementText, on: string | null, clauses: Clauses, context: PlanContext, name: string | undefined, column: string): Plan {
  const db = on ?? context.db;
  if (db === null) return DATABASE_REQUIRED;
  const { limit, offset } = clauses;
  const sent = limit === null && offset === null ? text.text : rewriteClauses(text, [limit, offset], limit === null ? '' : `LIMIT ${limit.value + (offset?.value ?? 0)}`);
  return {
    kind: 'read',
    text: sent,
    db: context.db,
    nodes: everyNode(context.topology),
    merge: { type: 'list', name, column, sort: true, limit: limit?.value ?? null, offset: offset?.value ?? null },
    ownerDb: null,
  };
}

/**
 * SELECT … INTO writes: it runs where its source lives, in every circle, and is exact only when the
 * sources live on one node and the target has that same owner, in every circle.
 */
function planInto(
  statement: Extract<Statement, { kind: 'select' }>,
  text: StatementText,
  refs: readonly MeasurementRef[],
  nodes: (circle: number) => InfluxNode[],
  context: PlanContext,
): Plan {
  const { topology } = context;
  const into = statement.select.into as MeasurementRef;
  const why = `SELECT … INTO runs on the node holding its source and writes there; here `;
  if (refs.some((r) => r.name === null) && topology.circles.some((c) => c.nodes.length > 1)) {
    return { kind: 'refuse', message: `${why}a regex source spans every node of a circle: name the measurements, one owner at a time` };
  }
  if (maxNodes(nodes, topology) > 1 || hasSubquery(statement.select)) {
    return { kind: 'refuse', message: `${why}the sources live on different nodes (${describeOwners(refs, context)}): copy one measurement at a time` };
  }
  const targetDb = into.db ?? context.db;
  if (targetDb === null) return DATABASE_REQUIRED;
  const keys = new Set<string>();
  for (const ref of refs) {
    const sourceKey = shardKey(dbOf(ref, context) as string, ref.name as string);
    const targetKey = shardKey(targetDb, into.name ?? (ref.name as string));
    const sourceOwners = topology.owners(sourceKey);
    const targetOwners = topology.owners(targetKey);
    if (sourceOwners.some((owner, c) => owner !== targetOwners[c])) {
      return {
        kind: 'refuse',
        message: `${why}the target ${into.name ?? ref.name} belongs on ${targetOwners.map((n) => n.name).join('/')} but the source ${ref.name} lives on ${sourceOwners.map((n) => n.name).join('/')}: write the rows through the proxy instead (SELECT them, then POST them to /write)`,
      };
    }
    keys.add(sourceKey);
    keys.add(targetKey);
  }
  return { kind: 'modify', text: text.text, db: context.db ?? targetDb, nodes, shardKeys: keys };
}
