// The databases and retention policies the nodes have, as last seen. The write path answers an
// unknown database with influxd's 404 (and an unknown retention policy with its 500) itself, so such
// a write never reaches a replay buffer; a replay refused for a missing database is dropped only when
// no node has that database.
import type { Logger } from 'pino';
import { quoteIdent } from './influxql-tokens.js';
import type { InfluxNode } from './node.js';

export type DatabaseCheck = 'ok' | 'database-not-found' | 'retention-policy-not-found';

export class KnownDatabases {
  /** The current topology's nodes. */
  readonly #nodes: () => readonly InfluxNode[];
  readonly #timeout: number;
  readonly #log: Logger;
  /** db → retention policies (null until asked for). */
  #databases = new Map<string, Set<string> | null>();
  /** Whether any node has answered since the start. */
  #seen = false;
  #refreshedAt = 0;
  #refreshing: Promise<void> | null = null;
  /** Catalog version (entries in its log) at the last refresh, and how to read it now. */
  #catalogVersion = -1;
  readonly #readCatalogVersion: () => Promise<number>;
  /** Ask nodes again on a miss at most this often. */
  readonly #missInterval = 1000;

  constructor(nodes: () => readonly InfluxNode[], timeoutMs: number, log: Logger, catalogVersion: () => Promise<number>) {
    this.#readCatalogVersion = catalogVersion;
    this.#nodes = nodes;
    this.#timeout = timeoutMs;
    this.#log = log;
  }

  /** True when db/rp is known to exist (no waiting): the common case of every write. */
  has(db: string, rp: string): boolean {
    return this.#verdict(db, rp) === 'ok';
  }

  /** Whether a write to db/rp can be taken; asks the nodes again (rate-limited) on a miss. */
  async check(db: string, rp: string): Promise<DatabaseCheck> {
    let verdict = this.#verdict(db, rp);
    if (verdict === 'ok') return 'ok';
    if (verdict === 'retention-policy-not-found' && this.#databases.get(db) === null) {
      await this.#loadRetentionPolicies(db);
      verdict = this.#verdict(db, rp);
      if (verdict === 'ok') return 'ok';
    }
    // Ask again when the last answer is old enough, or when the catalog changed since (a database
    // created through another proxy a moment ago must not be refused).
    if (Date.now() - this.#refreshedAt >= this.#missInterval || (await this.#catalogChanged())) {
      await this.refresh();
      if (rp !== '' && this.#databases.get(db) === null) await this.#loadRetentionPolicies(db);
      verdict = this.#verdict(db, rp);
    }
    // Before any node has answered nothing is known: take the write (it will be buffered).
    return this.#seen ? verdict : 'ok';
  }

  /** True/false when known; null when no node has answered yet. */
  exists(db: string, rp: string): boolean | null {
    if (!this.#seen) return null;
    return this.#verdict(db, rp) === 'ok';
  }

  #verdict(db: string, rp: string): DatabaseCheck {
    const rps = this.#databases.get(db);
    if (rps === undefined) return 'database-not-found';
    if (rp === '') return 'ok';
    if (rps === null || !rps.has(rp)) return 'retention-policy-not-found';
    return 'ok';
  }

  /** Asks every healthy node for its databases (one refresh at a time). */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async #catalogChanged(): Promise<boolean> {
    try {
      return (await this.#readCatalogVersion()) !== this.#catalogVersion;
    } catch {
      return false;
    }
  }

  async #refresh(): Promise<void> {
    this.#catalogVersion = await this.#readCatalogVersion().catch(() => -1);
    const answers = await Promise.allSettled(
      this.#nodes().filter((node) => node.healthy).map(async (node) => node.firstColumn('SHOW DATABASES', null, this.#timeout)),
    );
    const next = new Map<string, Set<string> | null>();
    let answered = false;
    for (const answer of answers) {
      if (answer.status === 'rejected') continue;
      answered = true;
      for (const db of answer.value) next.set(db, this.#databases.get(db) ?? null);
    }
    this.#refreshedAt = Date.now();
    if (!answered) return;
    this.#seen = true;
    // Retention policies are asked for again lazily after each refresh.
    for (const db of next.keys()) next.set(db, null);
    this.#databases = next;
  }

  async #loadRetentionPolicies(db: string): Promise<void> {
    const query = `SHOW RETENTION POLICIES ON ${quoteIdent(db)}`;
    const answers = await Promise.allSettled(
      this.#nodes().filter((node) => node.healthy).map(async (node) => node.firstColumn(query, null, this.#timeout)),
    );
    const rps = new Set<string>();
    for (const answer of answers) {
      if (answer.status === 'fulfilled') for (const rp of answer.value) rps.add(rp);
      else this.#log.debug({ db, err: String(answer.reason) }, 'could not list retention policies');
    }
    if (this.#databases.has(db)) this.#databases.set(db, rps);
  }
}
