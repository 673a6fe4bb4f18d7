// The shard key and owners of a line, found from its measurement's bytes: every line of every write
// asks, so the answer is cached under a hash of (database, escaped measurement bytes) and checked
// byte by byte, without building a string per line.
import { unescapeMeasurement } from './line-protocol.js';
import type { InfluxNode } from './node.js';
import { shardKey } from './shard-key.js';
import type { Topology } from './topology.js';

export interface ShardTarget {
  readonly key: string;
  /** Every node that takes the line (its write owners). */
  readonly owners: readonly InfluxNode[];
}

interface Entry {
  readonly db: string;
  readonly measurement: Buffer;
  readonly target: ShardTarget;
}

const FNV_PRIME = 0x01000193;

/** FNV-1a of a string's UTF-16 code units: the per-request seed of the line hashes. */
export function databaseSeed(db: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < db.length; i++) hash = Math.imul(hash ^ db.charCodeAt(i), FNV_PRIME);
  return hash >>> 0;
}

export class MeasurementOwners {
  readonly #topology: Topology;
  readonly #maxEntries: number;
  readonly #entries = new Map<number, Entry>();

  constructor(topology: Topology, maxEntries: number) {
    this.#topology = topology;
    this.#maxEntries = maxEntries;
  }

  /** The target of the measurement [start, end) of `buf` in database `db` (seed from databaseSeed). */
  lookup(db: string, seed: number, buf: Buffer, start: number, end: number): ShardTarget {
    let hash = seed;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ (buf[i] as number), FNV_PRIME);
    hash >>>= 0;
    const entry = this.#entries.get(hash);
    if (entry !== undefined && entry.db === db && equalBytes(entry.measurement, buf, start, end)) return entry.target;
    const key = shardKey(db, unescapeMeasurement(buf, start, end));
    const target: ShardTarget = { key, owners: this.#topology.writeOwners(key) };
    if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
    this.#entries.set(hash, { db, measurement: Buffer.from(buf.subarray(start, end)), target });
    return target;
  }
}

function equalBytes(a: Buffer, buf: Buffer, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}
