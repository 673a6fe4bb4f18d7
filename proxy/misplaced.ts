// Misplaced measurements: a measurement a node holds but does not own (no ring of its circle puts it
// there). They are left behind when a measurement moves to another owner, until a cleanup drops them;
// reads never see them (a merge keeps only the owner's series), but they take space.
import { quoteIdent } from './influxql-tokens.js';
import type { InfluxNode } from './node.js';
import { shardKey } from './shard-key.js';
import type { Topology } from './topology.js';

export interface MisplacedMeasurement {
  readonly db: string;
  readonly measurement: string;
  /** The node that owns it in this circle now. */
  readonly owner: string;
}

/** Databases of the proxy and of influxd itself, never placed by the rings. */
export const UNPLACED_DATABASES = new Set(['_internal']);

/** Every (database, measurement) the node holds, but for `skip` databases. */
export async function measurementsOf(node: InfluxNode, timeoutMs: number, skip: ReadonlySet<string>): Promise<{ db: string; measurement: string }[]> {
  const databases = (await node.firstColumn('SHOW DATABASES', null, timeoutMs)).filter((db) => !skip.has(db) && !UNPLACED_DATABASES.has(db));
  const lists = await Promise.all(
    databases.map(async (db) => (await node.firstColumn(`SHOW MEASUREMENTS ON ${quoteIdent(db)}`, null, timeoutMs)).map((measurement) => ({ db, measurement }))),
  );
  return lists.flat();
}

/** The measurements `node` holds that `ownerOf` (a ring's owner, by shard key) gives to it, with their shard keys. */
export async function measurementsOwned(
  node: InfluxNode,
  ownerOf: (shardKey: string) => InfluxNode | null,
  timeoutMs: number,
  skip: ReadonlySet<string>,
): Promise<{ db: string; measurement: string; key: string }[]> {
  return (await measurementsOf(node, timeoutMs, skip)).flatMap(({ db, measurement }) => {
    const key = shardKey(db, measurement);
    return ownerOf(key) === node ? [{ db, measurement, key }] : [];
  });
}

/** The measurements `node` holds without taking their writes in `topology`. */
export async function findMisplaced(topology: Topology, node: InfluxNode, timeoutMs: number, skip: ReadonlySet<string>): Promise<MisplacedMeasurement[]> {
  const circle = topology.circles.find((c) => c.nodes.includes(node));
  if (circle === undefined) return [];
  const held = await measurementsOf(node, timeoutMs, skip);
  return held.flatMap(({ db, measurement }) => {
    const key = shardKey(db, measurement);
    return circle.writeOwners(key).includes(node) ? [] : [{ db, measurement, owner: circle.owner(key).name }];
  });
}
