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
  /**
   * Per-measurement series, in InfluxDB's order (reversed for ORDER BY time DESC); wildcard columns
   * unified. SLIMIT/SOFFSET apply per measurement in InfluxDB: the nodes apply them.
   */
  | { readonly type: 'series'; readonly descending: boolean; readonly wildcard: boolean; readonly groupByAll: boolean }
  /** A one-column list (SHOW MEASUREMENTS, SERIES, DATABASES): union, order, limits re-applied. */
  | {
      readonly type: 'list';
      readonly name: string | undefined;
      readonly column: string;
      readonly sort: boolean;
      /** The values are series keys: sorted by their unescaped form, as influxd sorts them. */
      readonly seriesKeys: boolean;
      readonly limit: number | null;
      readonly offset: number | null;
      /** Values never shown (the proxy's own databases, for SHOW DATABASES). */
      readonly hide?: ReadonlySet<string>;
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
      /** Any one node among nodes(circle) may answer (not each of them). */
      readonly anyOne?: boolean;
      /** The databases whose measurements the series name (to drop misplaced copies); empty: no filter. */
      readonly ownerDbs: readonly string[];
      /** The statement read (its sources), when a node that answered nothing must be asked what it would have had. */
      readonly sources?: readonly MeasurementRef[];
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
/** What influxd says to a data change without a database. */
const NO_DATABASE: Plan = { kind: 'error', message: 'database not found: ' };

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
        perCircle[c] = [...circle.readNodes];
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

/** Every node that serves reads, per circle. */
const everyNode =
  (topology: Topology) =>
  (circle: number): InfluxNode[] => [...(topology.circles[circle]?.readNodes ?? [])];

/** Every node that takes writes (also one joining or leaving its circle's ring), per circle. */
const everyWriteNode =
  (topology: Topology) =>
  (circle: number): InfluxNode[] => [...(topology.circles[circle]?.nodes ?? [])];

/** For each circle: every node taking the writes of these shard keys (two while a key changes owner). */
function writeOwnersByCircle(keys: Iterable<string>, topology: Topology): (circle: number) => InfluxNode[] {
  const perCircle = topology.circles.map((circle) => {
    const nodes = new Set<InfluxNode>();
    for (const key of keys) for (const node of circle.writeOwners(key)) nodes.add(node);
    return [...nodes];
  });
  return (circle) => perCircle[circle] ?? [];
}

/**
 * A data change of measurements being copied to a new owner could be undone by the copy (it may have
 * read the rows before the change): it waits for the copy to finish.
 */
function copyingError(keys: Iterable<string> | null, topology: Topology): Plan | null {
  const copying = keys === null ? topology.circles.some((c) => c.phase === 'copy') : [...keys].some((key) => topology.copying(key));
  if (!copying) return null;
  return {
    kind: 'error',
    message: `a rebalance is copying ${keys === null ? 'measurements of this database' : 'this measurement'} to a new node; data changes wait until the copy is done: retry later (GET /admin/jobs shows its progress)`,
  };
}

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
      if (refs.length === 0) return anyNode(text, context);
      const nodes = ownersByCircle(refs, context);
      if (nodes === null) return DATABASE_REQUIRED;
      if (select.into !== null) return planInto(statement, text, refs, nodes, context);
      const spread = maxNodes(nodes, topology);
      if (spread <= 1) return { kind: 'read', text: text.text, db: context.db, nodes, merge: null, ownerDbs: [] };
      if (statement.explain) {
        return { kind: 'refuse', message: `EXPLAIN describes the plan of one node, but this statement reads from several (${describeOwners(refs, context)}): explain one measurement at a time` };
      }
      if (hasSubquery(select)) {
        return {
          kind: 'refuse',
          message: `this statement's subquery reads measurements that live on different nodes (${describeOwners(refs, context)}); a subquery is answered exactly only when every measurement it reads has the same owner: query them separately`,
        };
      }
      const clash = sameNameInDatabases(refs, context);
      if (clash !== null) return clash;
      if (select.mixedWildcard) {
        return {
          kind: 'refuse',
          message: `this statement mixes a wildcard with other fields over measurements that live on different nodes (${describeOwners(refs, context)}); InfluxDB expands such a wildcard in place over the fields of every measurement read, which no one node knows: select \`*\` alone, name the fields, or query the measurements separately`,
        };
      }
      return {
        kind: 'read',
        text: text.text,
        db: context.db,
        nodes,
        merge: { type: 'series', descending: select.descending, wildcard: select.wildcard, groupByAll: select.groupByAll },
        ownerDbs: [...new Set(refs.map((r) => dbOf(r, context) as string))],
        sources: refs,
      };
    }
    case 'show-databases':
      return {
        kind: 'read',
        text: text.text,
        db: context.db,
        nodes: everyNode(topology),
        merge: { type: 'list', name: 'databases', column: 'name', sort: false, seriesKeys: false, limit: null, offset: null, hide: context.hiddenDatabases },
        ownerDbs: [],
      };
    case 'show-retention-policies': {
      const db = statement.on ?? context.db;
      if (db === null) return DATABASE_REQUIRED;
      return anyNode(text, context);
    }
    case 'show-measurements':
      return planList(text, (statement.on ?? context.db) === null ? null : [], statement.clauses, context, 'measurements', 'name', false);
    case 'show-series': {
      const refs = readRefs(statement.on, statement.sources, context);
      if (refs === null) return DATABASE_REQUIRED;
      if (refs.length > 0) {
        const single = singleOwnerRead(text, refs, context);
        if (single !== null) return single;
        if (refs.some((r) => r.rp !== null)) {
          return {
            kind: 'refuse',
            message:
              'SHOW SERIES FROM a retention policy is answered by influxd 1.x from its whole-database index on every node that has a shard in that policy, which no union of nodes reproduces: name the measurements without the retention policy',
          };
        }
      }
      // Listed from the index: by name then tags, unescaped; read from the data (WHERE time): by the escaped key.
      return planList(text, refs, statement.clauses, context, undefined, 'key', !statement.timeCondition);
    }
    case 'show-tag-keys':
    case 'show-tag-values':
    case 'show-field-keys': {
      let refs: MeasurementRef[] | null;
      if (statement.kind === 'show-field-keys') {
        refs = readRefs(statement.on, statement.sources, context);
      } else {
        // SHOW TAG KEYS and TAG VALUES read the index of one database, whatever the sources' qualifiers say.
        const db = showDb(statement.on, statement.sources, context);
        refs = db === null ? null : measurementRefs(statement.sources).map((r) => ({ ...r, db }));
      }
      if (refs === null) return DATABASE_REQUIRED;
      return planSeriesShow(text, refs, statement.on ?? context.db, context);
    }
    case 'cardinality': {
      const refs = readRefs(statement.on, statement.sources, context);
      if (refs === null) return DATABASE_REQUIRED;
      // A total for the database; with FROM or WHERE, SHOW SERIES CARDINALITY counts per measurement.
      const total = /^MEASUREMENT( EXACT)? CARDINALITY$/.test(statement.what) || (statement.what === 'SERIES CARDINALITY' && statement.sources.length === 0 && !statement.where);
      if (!total) return planSeriesShow(text, refs, statement.on ?? context.db, context);
      return { kind: 'read', text: text.text, db: context.db, nodes: everyNode(topology), merge: { type: 'sum' }, ownerDbs: [] };
    }
    case 'create-database':
    case 'drop-database':
    case 'create-retention-policy':
    case 'alter-retention-policy':
    case 'drop-retention-policy':
      return { kind: 'catalog', text: text.text, db: context.db };
    case 'drop-measurement': {
      if (context.db === null) return NO_DATABASE;
      const key = shardKey(context.db, statement.name);
      return copyingError([key], topology) ?? { kind: 'modify', text: text.text, db: context.db, nodes: writeOwnersByCircle([key], topology), shardKeys: new Set([key]) };
    }
    case 'delete':
    case 'drop-series': {
      const db = statement.on ?? context.db;
      if (db === null) return NO_DATABASE;
      const refs = measurementRefs(statement.sources);
      if (refs.length === 0 || refs.some((r) => r.name === null)) {
        return copyingError(null, topology) ?? { kind: 'modify', text: text.text, db, nodes: everyWriteNode(topology), shardKeys: null };
      }
      const keys = new Set(refs.map((r) => shardKey(r.db ?? db, r.name as string)));
      return copyingError(keys, topology) ?? { kind: 'modify', text: text.text, db, nodes: writeOwnersByCircle(keys, topology), shardKeys: keys };
    }
    case 'other':
      return refusal(statement.words);
  }
}

/** Any one active node answers (the catalog is on every node). */
function anyNode(text: StatementText, context: PlanContext): Plan {
  return { kind: 'read', text: text.text, db: context.db, nodes: everyNode(context.topology), merge: null, ownerDbs: [], anyOne: true };
}

/** The database of SHOW TAG KEYS / TAG VALUES: `ON`, else the request's, else the first qualified source's (as influxd). */
function showDb(on: string | null, sources: readonly Source[], context: PlanContext): string | null {
  return on ?? context.db ?? measurementRefs(sources).find((r) => r.db !== null)?.db ?? null;
}

/**
 * What a SHOW that maps shards like a SELECT reads (SERIES, FIELD KEYS, the CARDINALITY forms): every
 * source name in every database the sources name (a qualifier's own, else `ON`, else the request's) —
 * influxd reads each name from the shards of all those databases. Empty without FROM; null when a
 * database is needed and none is given.
 */
function readRefs(on: string | null, sources: readonly Source[], context: PlanContext): MeasurementRef[] | null {
  const base = on ?? context.db;
  const refs = measurementRefs(sources);
  if (refs.length === 0) return base === null ? null : [];
  const dbs = new Set<string>();
  for (const ref of refs) {
    const db = ref.db ?? base;
    if (db === null) return null;
    dbs.add(db);
  }
  return [...dbs].flatMap((db) => refs.map((ref) => ({ ...ref, db })));
}

/**
 * One measurement name read from two databases, owned by different nodes: influxd puts their points
 * in the same series (by name), which no node holds together.
 */
function sameNameInDatabases(refs: readonly MeasurementRef[], context: PlanContext): Plan | null {
  const byName = new Map<string, Set<string>>();
  for (const ref of refs) {
    if (ref.name === null) continue;
    const dbs = byName.get(ref.name) ?? new Set<string>();
    dbs.add(dbOf(ref, context) as string);
    byName.set(ref.name, dbs);
  }
  for (const [name, dbs] of byName) {
    if (dbs.size < 2) continue;
    const owners = [...dbs].map((db) => context.topology.owners(shardKey(db, name)).map((n) => n.name).join('/'));
    if (new Set(owners).size > 1) {
      return {
        kind: 'refuse',
        message: `${name} is read from several databases (${[...dbs].join(', ')}) whose ${name} live on different nodes (${owners.join(', ')}); InfluxDB puts their points in the same series, which no one node holds: query each database separately`,
      };
    }
  }
  return null;
}

function measurementRefs(sources: readonly Source[]): MeasurementRef[] {
  return sources.flatMap((s) => (s.kind === 'measurement' ? [s.ref] : []));
}

/** The nodes answering a SHOW … FROM: the owners of the measurements read, or every node. */
function sourceNodes(refs: readonly MeasurementRef[], context: PlanContext): (circle: number) => InfluxNode[] {
  if (refs.length === 0) return everyNode(context.topology);
  return ownersByCircle(refs, context) ?? everyNode(context.topology);
}

/** A SHOW … FROM whose measurements all live on one node per circle: that node's answer is the answer. */
function singleOwnerRead(text: StatementText, refs: readonly MeasurementRef[], context: PlanContext): Plan | null {
  if (refs.length === 0 || refs.some((r) => r.name === null)) return null;
  const nodes = sourceNodes(refs, context);
  return maxNodes(nodes, context.topology) === 1 ? { kind: 'read', text: text.text, db: context.db, nodes, merge: null, ownerDbs: [] } : null;
}

/** SHOW TAG KEYS / TAG VALUES / FIELD KEYS / per-measurement counts: one series per measurement, from its owner. */
function planSeriesShow(text: StatementText, refs: readonly MeasurementRef[], db: string | null, context: PlanContext): Plan {
  const single = singleOwnerRead(text, refs, context);
  if (single !== null) return single;
  const clash = sameNameInDatabases(refs, context);
  if (clash !== null) return clash;
  const dbs = refs.length === 0 ? [db as string] : [...new Set(refs.map((r) => r.db as string))];
  return {
    kind: 'read',
    text: text.text,
    db: context.db,
    nodes: sourceNodes(refs, context),
    merge: { type: 'series', descending: false, wildcard: false, groupByAll: false },
    ownerDbs: dbs,
  };
}

/** SHOW MEASUREMENTS / SHOW SERIES: the owners of the measurements read (every node without FROM); LIMIT made LIMIT+OFFSET and OFFSET dropped, both applied after the union. */
function planList(
  text: StatementText,
  refs: readonly MeasurementRef[] | null,
  clauses: Clauses,
  context: PlanContext,
  name: string | undefined,
  column: string,
  seriesKeys: boolean,
): Plan {
  if (refs === null) return DATABASE_REQUIRED;
  const { limit, offset } = clauses;
  const sent = limit === null && offset === null ? text.text : rewriteClauses(text, [limit, offset], limit === null ? '' : `LIMIT ${limit.value + (offset?.value ?? 0)}`);
  return {
    kind: 'read',
    text: sent,
    db: context.db,
    nodes: sourceNodes(refs, context),
    merge: { type: 'list', name, column, sort: true, seriesKeys, limit: limit?.value ?? null, offset: offset?.value ?? null },
    ownerDbs: [],
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
  if (refs.some((r) => r.name === null) && topology.circles.some((c) => c.readNodes.length > 1)) {
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
  return copyingError(keys, topology) ?? { kind: 'modify', text: text.text, db: context.db ?? targetDb, nodes, shardKeys: keys };
}
