// How each statement is planned over 2 circles × 2 nodes: which nodes of each circle answer, with what
// text, how the answers are merged — or which nodes change, for which shard keys — or why it is
// refused. Planning is pure: the topology is built from a configuration, no node is asked anything.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { analyzeStatement, type MeasurementRef } from '../proxy/influxql-statement.js';
import { splitStatements, type StatementText } from '../proxy/influxql-tokens.js';
import type { InfluxNode } from '../proxy/node.js';
import { mergeSeries, type NodeAnswer, type Series } from '../proxy/query-merge.js';
import { planStatement, type MergeSpec, type Plan } from '../proxy/query-plan.js';
import { shardKey } from '../proxy/shard-key.js';
import { Topology } from '../proxy/topology.js';

const topology = Topology.fromConfig(
  loadConfig({
    env: {},
    overrides: {
      circles: [
        { name: 'c1', nodes: [{ name: 'a1', url: 'http://127.0.0.1:9101' }, { name: 'a2', url: 'http://127.0.0.1:9102' }] },
        { name: 'c2', nodes: [{ name: 'b1', url: 'http://127.0.0.1:9201' }, { name: 'b2', url: 'http://127.0.0.1:9202' }] },
      ],
    },
  }),
);

afterAll(async () => {
  await topology.close();
});

const DB = 'db';
const HIDDEN = new Set(['_irx']);

/** The owner of a shard key in each circle, by name. */
function ownerNames(key: string): string[] {
  return topology.owners(key).map((node) => node.name);
}

/**
 * Measurement names of `db` picked by where they live: `home`; `sibling`, with home's owner in every
 * circle; `stranger`, with another owner than home's in every circle.
 */
function pickMeasurements(): { home: string; sibling: string; stranger: string } {
  const candidates = Array.from({ length: 500 }, (_, i) => `m${i}`);
  const home = 'cpu';
  const homeOwners = ownerNames(shardKey(DB, home));
  const sibling = candidates.find((m) => ownerNames(shardKey(DB, m)).every((owner, c) => owner === homeOwners[c]));
  const stranger = candidates.find((m) => ownerNames(shardKey(DB, m)).every((owner, c) => owner !== homeOwners[c]));
  if (sibling === undefined || stranger === undefined) throw new Error('no measurement names with the owners needed');
  return { home, sibling, stranger };
}

const { home, sibling, stranger } = pickMeasurements();

/** Database names picked by where `home` lives in them: `twinDb`, with its owners in `db`; `farDb`, with other owners in every circle. */
function pickDatabases(): { twinDb: string; farDb: string } {
  const candidates = Array.from({ length: 500 }, (_, i) => `d${i}`);
  const homeOwners = ownerNames(shardKey(DB, home));
  const twinDb = candidates.find((db) => ownerNames(shardKey(db, home)).every((owner, c) => owner === homeOwners[c]));
  const farDb = candidates.find((db) => ownerNames(shardKey(db, home)).every((owner, c) => owner !== homeOwners[c]));
  if (twinDb === undefined || farDb === undefined) throw new Error('no database names with the owners needed');
  return { twinDb, farDb };
}

const { twinDb, farDb } = pickDatabases();

/** The nodes of each circle, sorted by name. */
type NodesByCircle = string[][];

/** The owners of these shard keys in each circle. */
function owners(...keys: string[]): NodesByCircle {
  return topology.circles.map((_, c) => [...new Set(keys.map((key) => ownerNames(key)[c] as string))].sort());
}

const EVERY_NODE: NodesByCircle = [
  ['a1', 'a2'],
  ['b1', 'b2'],
];
const FIRST_NODE: NodesByCircle = [['a1'], ['b1']];

type PlanSummary =
  | {
      kind: 'read';
      text: string;
      db: string | null;
      nodes: NodesByCircle;
      merge: MergeSpec | null;
      ownerDbs: string[];
      /** The sources a SELECT merge reads, or null. */
      sources: MeasurementRef[] | null;
      /** Any one of `nodes` answers, not each of them. */
      anyOne: boolean;
    }
  | { kind: 'catalog'; text: string; db: string | null }
  | { kind: 'modify'; text: string; db: string; nodes: NodesByCircle; shardKeys: string[] | null }
  | { kind: 'error'; message: string }
  | { kind: 'refuse'; message: string };

function byCircle(nodes: (circle: number) => InfluxNode[]): NodesByCircle {
  return topology.circles.map((_, c) => nodes(c).map((node) => node.name).sort());
}

function summary(plan: Plan): PlanSummary {
  switch (plan.kind) {
    case 'read':
      return {
        kind: 'read',
        text: plan.text,
        db: plan.db,
        nodes: byCircle(plan.nodes),
        merge: plan.merge,
        ownerDbs: [...plan.ownerDbs],
        sources: plan.sources === undefined ? null : [...plan.sources],
        anyOne: plan.anyOne ?? false,
      };
    case 'catalog':
      return { kind: 'catalog', text: plan.text, db: plan.db };
    case 'modify':
      return { kind: 'modify', text: plan.text, db: plan.db, nodes: byCircle(plan.nodes), shardKeys: plan.shardKeys === null ? null : [...plan.shardKeys].sort() };
    case 'error':
      return { kind: 'error', message: plan.message };
    case 'refuse':
      return { kind: 'refuse', message: plan.message };
  }
}

function plan(query: string, db: string | null): PlanSummary {
  const statements = splitStatements(query);
  expect(statements).toHaveLength(1);
  const text = statements[0] as StatementText;
  return summary(planStatement(analyzeStatement(text), text, { topology, db, hiddenDatabases: HIDDEN }));
}

interface PlanRow {
  readonly name: string;
  readonly query: string;
  /** The request's `db` (default `db`). */
  readonly db?: string | null;
  readonly expected: PlanSummary;
}

/** A read passed through from one node per circle. */
function passThrough(query: string, nodes: NodesByCircle, db: string | null = DB): PlanSummary {
  return { kind: 'read', text: query, db, nodes, merge: null, ownerDbs: [], sources: null, anyOne: false };
}

/** A read any one active node answers (the catalog is on every node). */
function anyOne(query: string, db: string | null = DB): PlanSummary {
  return { kind: 'read', text: query, db, nodes: EVERY_NODE, merge: null, ownerDbs: [], sources: null, anyOne: true };
}

/** A read merged from several nodes. */
function merged(
  query: string,
  nodes: NodesByCircle,
  merge: MergeSpec,
  ownerDbs: string[],
  sources: MeasurementRef[] | null = null,
  db: string | null = DB,
): PlanSummary {
  return { kind: 'read', text: query, db, nodes, merge, ownerDbs, sources, anyOne: false };
}

/** A measurement as a statement names it. */
function ref(name: string, db: string | null = null, rp: string | null = null): MeasurementRef {
  return { db, rp, name, regex: null };
}

const SERIES_MERGE: MergeSpec = { type: 'series', descending: false, wildcard: false, groupByAll: false };
const seriesMerge = (parts: Partial<Omit<Extract<MergeSpec, { type: 'series' }>, 'type'>>): MergeSpec => ({ ...SERIES_MERGE, ...parts });
const listMerge = (parts: Omit<Extract<MergeSpec, { type: 'list' }>, 'type'>): MergeSpec => ({ type: 'list', ...parts });
const DATABASE_REQUIRED: PlanSummary = { kind: 'error', message: 'database name required' };
/** What influxd 1.6 answers a data change (DELETE, DROP SERIES, DROP MEASUREMENT) without a database. */
const NO_DATABASE: PlanSummary = { kind: 'error', message: 'database not found: ' };
const k = (m: string, db = DB): string => shardKey(db, m);

function refuse(...patterns: RegExp[]): PlanSummary {
  // toEqual takes an asymmetric matcher in place of the message.
  return { kind: 'refuse', message: expect.stringMatching(new RegExp(patterns.map((p) => `(?=[\\s\\S]*${p.source})`).join(''))) as string };
}

const selectRows: readonly PlanRow[] = [
  {
    name: 'one measurement: its owner, passed through',
    query: `SELECT v FROM ${home}`,
    expected: passThrough(`SELECT v FROM ${home}`, owners(k(home))),
  },
  {
    // influxd applies SLIMIT/SOFFSET to each measurement's series on its own, and each measurement has one
    // owner: every node applying them to its own measurements is exact, so the text goes as it is.
    name: 'two measurements on different owners: series merge, SLIMIT and SOFFSET sent unchanged',
    query: `SELECT v FROM ${home}, ${stranger} GROUP BY * SLIMIT 2 SOFFSET 1`,
    expected: merged(
      `SELECT v FROM ${home}, ${stranger} GROUP BY * SLIMIT 2 SOFFSET 1`,
      owners(k(home), k(stranger)),
      seriesMerge({ groupByAll: true }),
      [DB],
      [ref(home), ref(stranger)],
    ),
  },
  {
    name: 'two measurements on different owners, wildcard: text unchanged, wildcard merge',
    query: `SELECT * FROM ${home}, ${stranger}`,
    expected: merged(`SELECT * FROM ${home}, ${stranger}`, owners(k(home), k(stranger)), seriesMerge({ wildcard: true }), [DB], [ref(home), ref(stranger)]),
  },
  {
    name: 'SOFFSET alone is sent unchanged too',
    query: `SELECT v FROM ${home}, ${stranger} GROUP BY host SOFFSET 2`,
    expected: merged(`SELECT v FROM ${home}, ${stranger} GROUP BY host SOFFSET 2`, owners(k(home), k(stranger)), SERIES_MERGE, [DB], [ref(home), ref(stranger)]),
  },
  {
    name: 'ORDER BY time DESC across owners: a descending merge',
    query: `SELECT v FROM ${home}, ${stranger} GROUP BY host ORDER BY time DESC`,
    expected: merged(
      `SELECT v FROM ${home}, ${stranger} GROUP BY host ORDER BY time DESC`,
      owners(k(home), k(stranger)),
      seriesMerge({ descending: true }),
      [DB],
      [ref(home), ref(stranger)],
    ),
  },
  {
    name: 'GROUP BY a regex across owners: every tag key on every series',
    query: `SELECT mean(v) FROM ${home}, ${stranger} GROUP BY time(1m), /^h/`,
    expected: merged(
      `SELECT mean(v) FROM ${home}, ${stranger} GROUP BY time(1m), /^h/`,
      owners(k(home), k(stranger)),
      seriesMerge({ groupByAll: true }),
      [DB],
      [ref(home), ref(stranger)],
    ),
  },
  {
    name: 'the same name in two databases with different owners: refused, naming both',
    query: `SELECT v FROM ${home}, ${farDb}..${home}`,
    expected: refuse(new RegExp(`${home} is read from several databases \\(${DB}, ${farDb}\\)`), /query each database separately/),
  },
  {
    name: 'the same name in two databases with the same owners: merged, both databases owning',
    query: `SELECT v FROM ${home}, ${twinDb}..${home}, ${stranger}`,
    expected: merged(
      `SELECT v FROM ${home}, ${twinDb}..${home}, ${stranger}`,
      owners(k(home), k(stranger)),
      SERIES_MERGE,
      [DB, twinDb],
      [ref(home), ref(home, twinDb), ref(stranger)],
    ),
  },
  { name: 'a SELECT without sources: any one node answers', query: 'SELECT 1', db: null, expected: anyOne('SELECT 1', null) },
  {
    name: 'two measurements on the same owner: passed through, no merge',
    query: `SELECT v FROM ${home}, ${sibling} SLIMIT 2 SOFFSET 1`,
    expected: passThrough(`SELECT v FROM ${home}, ${sibling} SLIMIT 2 SOFFSET 1`, owners(k(home))),
  },
  {
    name: 'a regex: every node, series merge',
    query: 'SELECT v FROM /^c/',
    expected: merged('SELECT v FROM /^c/', EVERY_NODE, SERIES_MERGE, [DB], [{ db: null, rp: null, name: null, regex: '^c' }]),
  },
  {
    name: 'qualified measurements without a request db: their db names the owners',
    query: `SELECT v FROM db.autogen.${home}, db.autogen.${stranger}`,
    db: null,
    expected: merged(
      `SELECT v FROM db.autogen.${home}, db.autogen.${stranger}`,
      owners(k(home), k(stranger)),
      SERIES_MERGE,
      [DB],
      [ref(home, DB, 'autogen'), ref(stranger, DB, 'autogen')],
      null,
    ),
  },
  {
    name: 'a subquery across owners: refused, saying why',
    query: `SELECT max(v) FROM (SELECT v FROM ${home}, ${stranger})`,
    expected: refuse(/subquery/, /different nodes/, new RegExp(`${home} on `), new RegExp(`${stranger} on `)),
  },
  {
    name: 'a subquery beside a measurement on another owner: refused',
    query: `SELECT max(v) FROM (SELECT v FROM ${home}), ${stranger}`,
    expected: refuse(/subquery/, /same owner/),
  },
  {
    name: 'a subquery on one owner: passed through',
    query: `SELECT max(v) FROM (SELECT v FROM ${home}, ${sibling} SLIMIT 1)`,
    expected: passThrough(`SELECT max(v) FROM (SELECT v FROM ${home}, ${sibling} SLIMIT 1)`, owners(k(home))),
  },
  {
    name: 'subqueries nested twice on one owner: passed through',
    query: `SELECT max(m) FROM (SELECT mean(v) AS m FROM (SELECT v FROM ${home}), ${sibling})`,
    expected: passThrough(`SELECT max(m) FROM (SELECT mean(v) AS m FROM (SELECT v FROM ${home}), ${sibling})`, owners(k(home))),
  },
  {
    name: 'EXPLAIN on one owner: passed through',
    query: `EXPLAIN SELECT v FROM ${home}`,
    expected: passThrough(`EXPLAIN SELECT v FROM ${home}`, owners(k(home))),
  },
  {
    name: 'EXPLAIN across owners: refused',
    query: `EXPLAIN SELECT v FROM ${home}, ${stranger}`,
    expected: refuse(/EXPLAIN/, /one measurement at a time/),
  },
  {
    name: 'EXPLAIN ANALYZE across owners: refused',
    query: `EXPLAIN ANALYZE SELECT v FROM /./`,
    expected: refuse(/EXPLAIN/, /every node/),
  },
  {
    name: 'SELECT INTO, source and target on the same owner: a change on that owner',
    query: `SELECT v INTO ${sibling} FROM ${home}`,
    expected: { kind: 'modify', text: `SELECT v INTO ${sibling} FROM ${home}`, db: DB, nodes: owners(k(home)), shardKeys: [k(home), k(sibling)].sort() },
  },
  {
    name: 'SELECT INTO :MEASUREMENT: the target is the source',
    query: `SELECT * INTO db.autogen.:MEASUREMENT FROM ${home} GROUP BY *`,
    expected: { kind: 'modify', text: `SELECT * INTO db.autogen.:MEASUREMENT FROM ${home} GROUP BY *`, db: DB, nodes: owners(k(home)), shardKeys: [k(home)] },
  },
  {
    name: 'SELECT INTO, target on another owner: refused, naming both',
    query: `SELECT v INTO ${stranger} FROM ${home}`,
    expected: refuse(new RegExp(`target ${stranger}`), new RegExp(`source ${home}`), /POST them to \/write/),
  },
  {
    name: 'SELECT INTO from sources on different owners: refused',
    query: `SELECT v INTO ${sibling} FROM ${home}, ${stranger}`,
    expected: refuse(/different nodes/, /one measurement at a time/),
  },
  {
    name: 'SELECT INTO from a regex: refused',
    query: `SELECT v INTO ${home} FROM /^c/`,
    expected: refuse(/regex/, /name the measurements/),
  },
  {
    // `*` after the cast `::field` multiplies: not a wildcard, so the merge must not re-order the columns.
    name: 'usage::field * 2 across owners: not a wildcard merge',
    query: `SELECT usage::field * 2, a FROM ${home}, ${stranger}`,
    expected: merged(`SELECT usage::field * 2, a FROM ${home}, ${stranger}`, owners(k(home), k(stranger)), SERIES_MERGE, [DB], [ref(home), ref(stranger)]),
  },
  {
    name: 'a wildcard among other fields across owners: refused (influxd expands it in place over every measurement)',
    query: `SELECT a, * FROM ${home}, ${stranger}`,
    expected: refuse(/mixes a wildcard with other fields/, new RegExp(`${home} on `), /select `\*` alone/),
  },
  {
    name: 'a wildcard among other fields on one owner: passed through',
    query: `SELECT count(*), max(a) FROM ${home}`,
    expected: passThrough(`SELECT count(*), max(a) FROM ${home}`, owners(k(home))),
  },
  {
    // influxd reads "it\'s" as it's (the escapes of a quoted identifier are a string's).
    name: 'a quoted measurement with an escaped single quote: the owners of the name influxd reads',
    query: String.raw`SELECT v FROM "it\'s"`,
    expected: passThrough(String.raw`SELECT v FROM "it\'s"`, owners(k("it's"))),
  },
  { name: 'no db: database name required', query: `SELECT v FROM ${home}`, db: null, expected: DATABASE_REQUIRED },
  { name: 'no db, several measurements: database name required', query: `SELECT v FROM ${home}, ${stranger}`, db: null, expected: DATABASE_REQUIRED },
];

const showRows: readonly PlanRow[] = [
  {
    name: 'SHOW MEASUREMENTS LIMIT 3 OFFSET 2: sent as LIMIT 5, merged with limit 3 offset 2',
    query: 'SHOW MEASUREMENTS LIMIT 3 OFFSET 2',
    expected: merged('SHOW MEASUREMENTS LIMIT 5', EVERY_NODE, listMerge({ name: 'measurements', column: 'name', sort: true, seriesKeys: false, limit: 3, offset: 2 }), []),
  },
  {
    name: 'SHOW MEASUREMENTS ON without a request db',
    query: 'SHOW MEASUREMENTS ON db WITH MEASUREMENT =~ /c/',
    db: null,
    expected: merged(
      'SHOW MEASUREMENTS ON db WITH MEASUREMENT =~ /c/',
      EVERY_NODE,
      listMerge({ name: 'measurements', column: 'name', sort: true, seriesKeys: false, limit: null, offset: null }),
      [],
      null,
      null,
    ),
  },
  { name: 'SHOW MEASUREMENTS without any db: database name required', query: 'SHOW MEASUREMENTS', db: null, expected: DATABASE_REQUIRED },
  {
    name: 'SHOW SERIES OFFSET: sent without it, merged with the offset, keys in the index\'s (unescaped) order',
    query: "SHOW SERIES WHERE host = 'a' OFFSET 4",
    expected: merged("SHOW SERIES WHERE host = 'a'", EVERY_NODE, listMerge({ name: undefined, column: 'key', sort: true, seriesKeys: true, limit: null, offset: 4 }), []),
  },
  {
    // With a time condition influxd reads the data, and lists the keys in their escaped order.
    name: 'SHOW SERIES WHERE time: keys in their escaped order',
    query: 'SHOW SERIES WHERE time > now() - 1h',
    expected: merged('SHOW SERIES WHERE time > now() - 1h', EVERY_NODE, listMerge({ name: undefined, column: 'key', sort: true, seriesKeys: false, limit: null, offset: null }), []),
  },
  { name: 'SHOW SERIES FROM one owner: passed through', query: `SHOW SERIES FROM ${home}, ${sibling} LIMIT 2`, expected: passThrough(`SHOW SERIES FROM ${home}, ${sibling} LIMIT 2`, owners(k(home))) },
  {
    name: 'SHOW SERIES FROM two owners: their owners, list merge',
    query: `SHOW SERIES FROM ${home}, ${stranger} LIMIT 2`,
    expected: merged(
      `SHOW SERIES FROM ${home}, ${stranger} LIMIT 2`,
      owners(k(home), k(stranger)),
      listMerge({ name: undefined, column: 'key', sort: true, seriesKeys: true, limit: 2, offset: null }),
      [],
    ),
  },
  {
    name: 'SHOW SERIES FROM a retention policy, one owner: passed through',
    query: `SHOW SERIES FROM autogen.${home}`,
    expected: passThrough(`SHOW SERIES FROM autogen.${home}`, owners(k(home))),
  },
  {
    name: 'SHOW SERIES FROM a retention policy across owners: refused',
    query: `SHOW SERIES FROM autogen.${home}, autogen.${stranger}`,
    expected: refuse(/SHOW SERIES FROM a retention policy/, /without the retention policy/),
  },
  {
    name: 'SHOW DATABASES: every node, list merge in first-seen order',
    query: 'SHOW DATABASES',
    db: null,
    expected: merged('SHOW DATABASES', EVERY_NODE, listMerge({ name: 'databases', column: 'name', sort: false, seriesKeys: false, limit: null, offset: null, hide: HIDDEN }), [], null, null),
  },
  { name: 'SHOW RETENTION POLICIES: any one node', query: 'SHOW RETENTION POLICIES', expected: anyOne('SHOW RETENTION POLICIES') },
  { name: 'SHOW RETENTION POLICIES ON, no request db: any one node', query: 'SHOW RETENTION POLICIES ON db', db: null, expected: anyOne('SHOW RETENTION POLICIES ON db', null) },
  { name: 'SHOW RETENTION POLICIES without any db: database name required', query: 'SHOW RETENTION POLICIES', db: null, expected: DATABASE_REQUIRED },
  {
    name: 'SHOW TAG KEYS: every node, series merge keeping owners\' series',
    query: 'SHOW TAG KEYS',
    expected: merged('SHOW TAG KEYS', EVERY_NODE, SERIES_MERGE, [DB]),
  },
  { name: 'SHOW TAG KEYS FROM one owner: passed through', query: `SHOW TAG KEYS FROM ${home}`, expected: passThrough(`SHOW TAG KEYS FROM ${home}`, owners(k(home))) },
  {
    name: 'SHOW TAG VALUES FROM two owners: their owners, series merge',
    query: `SHOW TAG VALUES FROM ${home}, ${stranger} WITH KEY = host`,
    expected: merged(`SHOW TAG VALUES FROM ${home}, ${stranger} WITH KEY = host`, owners(k(home), k(stranger)), SERIES_MERGE, [DB]),
  },
  {
    name: 'SHOW TAG KEYS without a request db: the database of the first qualified source',
    query: `SHOW TAG KEYS FROM db.autogen.${home}, ${stranger}`,
    db: null,
    expected: merged(`SHOW TAG KEYS FROM db.autogen.${home}, ${stranger}`, owners(k(home), k(stranger)), SERIES_MERGE, [DB], null, null),
  },
  {
    // influxd reads SHOW TAG KEYS from one database's index, whatever a source's qualifier says.
    name: 'SHOW TAG KEYS with a request db: a source\'s database qualifier does not choose the owners',
    query: `SHOW TAG KEYS FROM ${farDb}..${home}, ${stranger}`,
    expected: merged(`SHOW TAG KEYS FROM ${farDb}..${home}, ${stranger}`, owners(k(home), k(stranger)), SERIES_MERGE, [DB]),
  },
  {
    name: 'SHOW FIELD KEYS ON another db: owners named in that db',
    query: 'SHOW FIELD KEYS ON other',
    expected: merged('SHOW FIELD KEYS ON other', EVERY_NODE, SERIES_MERGE, ['other']),
  },
  {
    // SHOW FIELD KEYS maps shards like a SELECT: every source name in every database named.
    name: 'SHOW FIELD KEYS reading one name from two databases with different owners: refused',
    query: `SHOW FIELD KEYS FROM ${farDb}..${home}, ${stranger}`,
    expected: refuse(new RegExp(`${home} is read from several databases`), /query each database separately/),
  },
  { name: 'SHOW TAG KEYS without any db: database name required', query: 'SHOW TAG KEYS', db: null, expected: DATABASE_REQUIRED },
];

const sum = (query: string): PlanRow => ({
  name: `${query}: one count per node, summed`,
  query,
  expected: merged(query, EVERY_NODE, { type: 'sum' }, []),
});

const perMeasurement = (query: string): PlanRow => ({
  name: `${query}: per-measurement series, merged`,
  query,
  expected: merged(query, EVERY_NODE, SERIES_MERGE, [DB]),
});

// influxd 1.6.7 answers the first three with one count (no name); the others with a series per measurement.
const cardinalityRows: readonly PlanRow[] = [
  sum('SHOW MEASUREMENT CARDINALITY'),
  sum('SHOW MEASUREMENT EXACT CARDINALITY'),
  sum('SHOW SERIES CARDINALITY'),
  perMeasurement('SHOW SERIES EXACT CARDINALITY'),
  perMeasurement('SHOW TAG KEY CARDINALITY'),
  perMeasurement('SHOW TAG KEY EXACT CARDINALITY'),
  perMeasurement('SHOW TAG VALUES CARDINALITY WITH KEY = host'),
  perMeasurement('SHOW TAG VALUES EXACT CARDINALITY WITH KEY = host'),
  perMeasurement('SHOW FIELD KEY CARDINALITY'),
  perMeasurement('SHOW FIELD KEY EXACT CARDINALITY'),
  // With FROM or WHERE, influxd 1.6 counts SHOW SERIES CARDINALITY per measurement (as the EXACT form).
  perMeasurement("SHOW SERIES CARDINALITY WHERE host = 'a'"),
  {
    name: 'SHOW SERIES CARDINALITY FROM two owners: their owners, per-measurement series',
    query: `SHOW SERIES CARDINALITY FROM ${home}, ${stranger}`,
    expected: merged(`SHOW SERIES CARDINALITY FROM ${home}, ${stranger}`, owners(k(home), k(stranger)), SERIES_MERGE, [DB]),
  },
  {
    name: 'a cardinality FROM one owner: passed through',
    query: `SHOW TAG KEY CARDINALITY FROM ${home}`,
    expected: passThrough(`SHOW TAG KEY CARDINALITY FROM ${home}`, owners(k(home))),
  },
  {
    name: 'a cardinality ON another db: owners named in that db',
    query: 'SHOW SERIES EXACT CARDINALITY ON other',
    db: null,
    expected: merged('SHOW SERIES EXACT CARDINALITY ON other', EVERY_NODE, SERIES_MERGE, ['other'], null, null),
  },
  {
    name: 'SHOW TAG VALUES CARDINALITY ON another db: owners named in that db',
    query: 'SHOW TAG VALUES CARDINALITY ON other WITH KEY = host',
    db: null,
    expected: merged('SHOW TAG VALUES CARDINALITY ON other WITH KEY = host', EVERY_NODE, SERIES_MERGE, ['other'], null, null),
  },
  {
    name: 'SHOW TAG VALUES EXACT CARDINALITY FROM one owner: passed through',
    query: `SHOW TAG VALUES EXACT CARDINALITY FROM ${home} WITH KEY = host`,
    expected: passThrough(`SHOW TAG VALUES EXACT CARDINALITY FROM ${home} WITH KEY = host`, owners(k(home))),
  },
  { name: 'a cardinality without any db: database name required', query: 'SHOW MEASUREMENT CARDINALITY', db: null, expected: DATABASE_REQUIRED },
];

const catalog = (query: string, db: string | null = DB): PlanRow => ({ name: `${query}: catalog`, query, db, expected: { kind: 'catalog', text: query, db } });

const changeRows: readonly PlanRow[] = [
  catalog('CREATE DATABASE other'),
  catalog('CREATE DATABASE other WITH DURATION 1d', null),
  catalog('DROP DATABASE other'),
  catalog('CREATE RETENTION POLICY week ON db DURATION 1w REPLICATION 1'),
  catalog('ALTER RETENTION POLICY week ON db DURATION 2w DEFAULT'),
  catalog('DROP RETENTION POLICY week ON db', null),
  {
    name: 'DROP MEASUREMENT: its owners, its shard key',
    query: `DROP MEASUREMENT ${home}`,
    expected: { kind: 'modify', text: `DROP MEASUREMENT ${home}`, db: DB, nodes: owners(k(home)), shardKeys: [k(home)] },
  },
  { name: 'DROP MEASUREMENT without a db: influxd\'s "database not found: "', query: `DROP MEASUREMENT ${home}`, db: null, expected: NO_DATABASE },
  {
    name: 'DELETE FROM one measurement: its owners, its shard key',
    query: `DELETE FROM ${home} WHERE time < 0`,
    expected: { kind: 'modify', text: `DELETE FROM ${home} WHERE time < 0`, db: DB, nodes: owners(k(home)), shardKeys: [k(home)] },
  },
  {
    name: 'DELETE FROM two measurements: both owners, both shard keys',
    query: `DELETE FROM ${home}, ${stranger}`,
    expected: { kind: 'modify', text: `DELETE FROM ${home}, ${stranger}`, db: DB, nodes: owners(k(home), k(stranger)), shardKeys: [k(home), k(stranger)].sort() },
  },
  {
    name: 'DELETE FROM another db\'s measurement: that db\'s shard key',
    query: `DELETE FROM other..${home}`,
    expected: { kind: 'modify', text: `DELETE FROM other..${home}`, db: DB, nodes: owners(k(home, 'other')), shardKeys: [k(home, 'other')] },
  },
  {
    name: 'DELETE FROM a regex: every node, every shard key',
    query: 'DELETE FROM /^c/',
    expected: { kind: 'modify', text: 'DELETE FROM /^c/', db: DB, nodes: EVERY_NODE, shardKeys: null },
  },
  {
    name: 'DELETE without FROM: every node, every shard key',
    query: 'DELETE WHERE time < 0',
    expected: { kind: 'modify', text: 'DELETE WHERE time < 0', db: DB, nodes: EVERY_NODE, shardKeys: null },
  },
  {
    name: 'DELETE ON a db: that db',
    query: `DELETE ON other FROM ${home}`,
    db: null,
    expected: { kind: 'modify', text: `DELETE ON other FROM ${home}`, db: 'other', nodes: owners(k(home, 'other')), shardKeys: [k(home, 'other')] },
  },
  { name: 'DELETE without any db: influxd\'s "database not found: "', query: `DELETE FROM ${home}`, db: null, expected: NO_DATABASE },
  { name: 'DROP SERIES without any db: influxd\'s "database not found: "', query: `DROP SERIES FROM ${home}`, db: null, expected: NO_DATABASE },
  {
    name: 'DROP SERIES FROM one measurement: its owners, its shard key',
    query: `DROP SERIES FROM ${home} WHERE host = 'a'`,
    expected: { kind: 'modify', text: `DROP SERIES FROM ${home} WHERE host = 'a'`, db: DB, nodes: owners(k(home)), shardKeys: [k(home)] },
  },
  {
    name: 'DROP SERIES without FROM: every node, every shard key',
    query: "DROP SERIES WHERE host = 'a'",
    expected: { kind: 'modify', text: "DROP SERIES WHERE host = 'a'", db: DB, nodes: EVERY_NODE, shardKeys: null },
  },
  {
    name: 'DROP SERIES FROM a regex: every node, every shard key',
    query: 'DROP SERIES FROM /x/',
    expected: { kind: 'modify', text: 'DROP SERIES FROM /x/', db: DB, nodes: EVERY_NODE, shardKeys: null },
  },
];

// Every statement InfluxRing does not route, with what its refusal must point to instead.
const USERS = /auth\.users/;
const NODE = /each node directly/;
const otherRows: readonly PlanRow[] = (
  [
    ['SHOW USERS', USERS],
    ["CREATE USER bob WITH PASSWORD 'x'", USERS],
    ['DROP USER bob', USERS],
    ["SET PASSWORD FOR bob = 'x'", USERS],
    ['GRANT ALL ON db TO bob', USERS],
    ['REVOKE READ ON db FROM bob', USERS],
    ['SHOW GRANTS FOR bob', USERS],
    ['CREATE CONTINUOUS QUERY cq ON db BEGIN SELECT mean(v) INTO m2 FROM cpu GROUP BY time(1h) END', /SELECT … INTO through the proxy/],
    ['DROP CONTINUOUS QUERY cq ON db', /SELECT … INTO through the proxy/],
    ['SHOW CONTINUOUS QUERIES', /SELECT … INTO through the proxy/],
    ['KILL QUERY 36', /KILL QUERY on each node directly/],
    ['SHOW QUERIES', /SHOW QUERIES and KILL QUERY on each node/],
    ['SHOW DIAGNOSTICS', /\/health and \/metrics/],
    ["SHOW STATS FOR 'httpd'", /\/health and \/metrics/],
    ['SHOW SHARDS', NODE],
    ['SHOW SHARD GROUPS', NODE],
    ['DROP SHARD 1', NODE],
    ['SHOW SUBSCRIPTIONS', NODE],
    ["CREATE SUBSCRIPTION s ON db.autogen DESTINATIONS ALL 'udp://h:9090'", NODE],
    ['DROP SUBSCRIPTION s ON db.autogen', NODE],
  ] as const
).map(([query, alternative]) => ({ name: `${query}: refused`, query, expected: refuse(alternative) }));

describe('planStatement', () => {
  it('has measurement names with the owners the rows need', () => {
    expect(owners(k(home), k(sibling))).toEqual(owners(k(home)));
    expect(owners(k(home), k(stranger)).every((nodes) => nodes.length === 2)).toBe(true);
  });

  const tables: [string, readonly PlanRow[]][] = [
    ['SELECT', selectRows],
    ['SHOW', showRows],
    ['CARDINALITY', cardinalityRows],
    ['catalog and data changes', changeRows],
    ['statements not routed', otherRows],
  ];
  for (const [table, rows] of tables) {
    describe(table, () => {
      it.each(rows)('$name', (row) => {
        expect(plan(row.query, row.db === undefined ? DB : row.db)).toEqual(row.expected);
      });
    });
  }

  it('refuses every statement not routed with a message of its own, not the generic one', () => {
    for (const row of otherRows) {
      const planned = plan(row.query, DB);
      expect(planned.kind, row.query).toBe('refuse');
      expect(planned.kind === 'refuse' && !planned.message.includes('does not route'), row.query).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// A plan and its merge together, as the executor runs them: the nodes of circle 0 answer the text the
// plan sends (each with its own measurements, in influxd's order), the merge combines the answers, and
// the result must be what one influxd holding every measurement answers. influxd 1.6.7 was checked for
// each row with measurements a, b, B (`SELECT v FROM a, b, B GROUP BY host …`).

interface PipelineRow {
  readonly name: string;
  readonly query: string;
  /** What the owner of each measurement answers to the text the plan sends, in its order. */
  readonly nodeSeries: (sent: string) => Record<string, readonly string[]>;
  /** The series influxd holding both measurements answers: [measurement, host]. */
  readonly expected: readonly (readonly [string, string])[];
}

const hostSeries = (name: string, host: string): Series => ({ name, tags: { host }, columns: ['time', 'v'], values: [['1970-01-01T00:00:00Z', null]] });

const pipelineRows: readonly PipelineRow[] = [
  {
    name: 'GROUP BY host: by name, then tags',
    query: `SELECT v FROM ${stranger}, ${home} GROUP BY host`,
    nodeSeries: () => ({ [home]: ['a', 'b'], [stranger]: ['a', 'c'] }),
    expected: [
      [home, 'a'],
      [home, 'b'],
      [stranger, 'a'],
      [stranger, 'c'],
    ],
  },
  {
    // influxd: `SELECT v FROM a, b, B GROUP BY host ORDER BY time DESC` answers b{c}, b{b}, b{a}, a{z}, a{a}, B{a}.
    name: 'ORDER BY time DESC: series in descending order too',
    query: `SELECT v FROM ${home}, ${stranger} GROUP BY host ORDER BY time DESC`,
    nodeSeries: () => ({ [home]: ['b', 'a'], [stranger]: ['c', 'a'] }),
    expected: [
      [stranger, 'c'],
      [stranger, 'a'],
      [home, 'b'],
      [home, 'a'],
    ],
  },
  {
    // influxd: SLIMIT and SOFFSET count each measurement's series on their own.
    name: 'SLIMIT 1 SOFFSET 1: the second series of each measurement',
    query: `SELECT v FROM ${home}, ${stranger} GROUP BY host SLIMIT 1 SOFFSET 1`,
    nodeSeries: (sent) => {
      // The nodes ran the sent SLIMIT and SOFFSET (the statement's own) over home{a,b,c} and stranger{a,c}.
      const slimit = Number(/SLIMIT (\d+)/.exec(sent)?.[1] ?? '0');
      const soffset = Number(/SOFFSET (\d+)/.exec(sent)?.[1] ?? '0');
      const take = (hosts: string[]): string[] => hosts.slice(soffset, slimit === 0 ? undefined : soffset + slimit);
      return { [home]: take(['a', 'b', 'c']), [stranger]: take(['a', 'c']) };
    },
    expected: [
      [home, 'b'],
      [stranger, 'c'],
    ],
  },
];

describe('plan and merge together', () => {
  it.each(pipelineRows)('$name', (row) => {
    const statement = splitStatements(row.query)[0] as StatementText;
    const planned = planStatement(analyzeStatement(statement), statement, { topology, db: DB, hiddenDatabases: HIDDEN });
    if (planned.kind !== 'read' || planned.merge === null || planned.merge.type !== 'series') throw new Error(`expected a series merge, got ${JSON.stringify(summary(planned))}`);
    const ownerDb = planned.ownerDbs[0] ?? DB;
    const owner = (measurement: string): string => ownerNames(shardKey(ownerDb, measurement))[0] as string;
    const held = row.nodeSeries(planned.text);
    const answers: NodeAnswer[] = planned.nodes(0).map((node) => ({
      node: node.name,
      result: {
        statement_id: 0,
        series: Object.entries(held)
          .filter(([measurement]) => owner(measurement) === node.name)
          .flatMap(([measurement, hosts]) => hosts.map((host) => hostSeries(measurement, host))),
      },
    }));
    const { type: _type, ...options } = planned.merge;
    const merged = mergeSeries(answers, { statementId: 0, owns: (node, measurement) => owner(measurement) === node, ...options });
    expect(merged.series?.map((s) => [s.name, s.tags?.host])).toEqual(row.expected);
  });
});
