// The catalog: the cluster's databases and retention policies. Every CREATE/DROP DATABASE and
// CREATE/ALTER/DROP RETENTION POLICY that goes through the proxy runs first on one up-to-date node (its
// answer is the client's answer; an error records nothing), is then appended to a log in Redis, and is
// applied to every node in log order. A node that was down, or is new, is brought up to date by its
// health check before it takes writes or serves reads again.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { replyError, type InfluxNode, type NodeReply } from './node.js';
import { withLeaseCommands, type LeaseCommands } from './lease-scripts.js';
import type { RedisClient } from './redis.js';
import type { RedisKeys } from './redis-keys.js';

interface LogEntry {
  readonly text: string;
  readonly db: string | null;
}

// ADVANCE — KEYS: applied. ARGV: node, count. Raises the node's applied count, never lowers it.
const ADVANCE = `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > current then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
`;

interface CatalogCommands {
  irxCatalogAdvance(applied: string, node: string, count: number): Promise<number>;
}

export class Catalog {
  readonly #redis: RedisClient & CatalogCommands & LeaseCommands;
  readonly #keys: RedisKeys;
  /** The current topology's nodes. */
  readonly #nodes: () => readonly InfluxNode[];
  readonly #timeout: number;
  readonly #log: Logger;
  /** Convergence in progress per node in this process. */
  readonly #converging = new Map<InfluxNode, Promise<boolean>>();

  constructor(redis: RedisClient, keys: RedisKeys, nodes: () => readonly InfluxNode[], timeoutMs: number, log: Logger) {
    redis.defineCommand('irxCatalogAdvance', { numberOfKeys: 1, lua: ADVANCE });
    this.#redis = withLeaseCommands(redis) as RedisClient & CatalogCommands & LeaseCommands;
    this.#keys = keys;
    this.#nodes = nodes;
    this.#timeout = timeoutMs;
    this.#log = log;
  }

  #run(node: InfluxNode, entry: LogEntry): Promise<NodeReply> {
    return node.statement(entry.text, entry.db, this.#timeout);
  }

  /** Entries in the log now. */
  async version(): Promise<number> {
    return this.#redis.llen(this.#keys.catalogLog());
  }

  /** How many entries each node has applied. */
  async applied(): Promise<Map<string, number>> {
    const all = await this.#redis.hgetall(this.#keys.catalogApplied());
    return new Map(Object.entries(all).map(([node, count]) => [node, Number(count)]));
  }

  /**
   * Runs a DDL statement for a client: on one healthy, up-to-date node first; if that succeeds, it is
   * recorded and applied to every other node (now for those that answer, later for the others). Returns
   * the first node's reply, or throws when no node can take it.
   */
  async apply(text: string, db: string | null): Promise<NodeReply> {
    const entry: LogEntry = { text, db };
    const [version, applied] = await Promise.all([this.version(), this.applied()]);
    const candidates = this.#nodes().filter((node) => node.healthy && (applied.get(node.name) ?? 0) === version);
    // A node that died since its last health check cannot answer: the next one runs it.
    let first: InfluxNode | undefined;
    let reply: NodeReply | undefined;
    const failures: string[] = [];
    for (const node of candidates) {
      try {
        reply = await this.#run(node, entry);
      } catch (err) {
        failures.push(`${node.name}: ${(err as Error).message}`);
        continue;
      }
      if (reply.status < 500) {
        first = node;
        break;
      }
      failures.push(`${node.name} answered ${reply.status}`);
    }
    if (first === undefined || reply === undefined) {
      throw new Error(`no node is up and up to date with the catalog: retry when one is${failures.length > 0 ? ` (${failures.join('; ')})` : ''}`);
    }
    if (replyError(reply) !== null) return reply;
    const length = await this.#redis.rpush(this.#keys.catalogLog(), JSON.stringify(entry));
    // The first node applied everything before this entry and this one.
    if (length === version + 1) await this.#redis.irxCatalogAdvance(this.#keys.catalogApplied(), first.name, length);
    this.#log.info({ statement: text, node: first.name, version: length }, 'catalog changed');
    await Promise.all(this.#nodes().map((node) => (node.healthy ? this.converge(node).catch(() => false) : Promise.resolve(false))));
    return reply;
  }

  /**
   * Brings a node up to date: applies the entries it has not applied yet, in order. True when it is up
   * to date. A node that refuses an entry (e.g. dropping what it never had) has still applied it; one
   * that cannot be reached stops the run.
   */
  converge(node: InfluxNode): Promise<boolean> {
    let running = this.#converging.get(node);
    if (running === undefined) {
      running = this.#converge(node).finally(() => this.#converging.delete(node));
      this.#converging.set(node, running);
    }
    return running;
  }

  /** Waits (at most the query timeout) until another process has applied `length` entries on the node. */
  async #awaitApplied(node: InfluxNode, length: number): Promise<boolean> {
    const deadline = Date.now() + this.#timeout;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const applied = Number((await this.#redis.hget(this.#keys.catalogApplied(), node.name)) ?? 0);
      node.catalogBehind = Math.max(0, length - applied);
      if (applied >= length) {
        node.catalogBlocksReads = false;
        return true;
      }
      if ((await this.#redis.exists(this.#keys.catalogLease(node.name))) === 0) return false;
    }
    return false;
  }

  async #converge(node: InfluxNode): Promise<boolean> {
    const keys = this.#keys;
    const [length, appliedText] = await Promise.all([this.version(), this.#redis.hget(keys.catalogApplied(), node.name)]);
    let applied = Number(appliedText ?? 0);
    node.catalogBehind = Math.max(0, length - applied);
    if (applied >= length) {
      node.catalogBlocksReads = false;
      return true;
    }
    // Only what a node lacks that it would answer wrongly keeps reads away from it: a database or
    // retention policy not created there yet only makes queries of that one fail, as moments before.
    const pending = (await this.#redis.lrange(keys.catalogLog(), applied, -1)).map((raw) => JSON.parse(raw) as LogEntry);
    node.catalogBlocksReads = pending.some((entry) => !/^\s*CREATE\s/i.test(entry.text));
    const token = randomUUID();
    const leaseTtl = Math.max(this.#timeout, 10_000);
    if ((await this.#redis.set(keys.catalogLease(node.name), token, 'PX', leaseTtl, 'NX')) !== 'OK') {
      // Another process is bringing the node up to date: wait for it rather than call the node behind.
      return this.#awaitApplied(node, length);
    }
    try {
      for (const entry of pending) {
        const reply = await this.#run(node, entry);
        if (reply.status >= 500) return false;
        const error = replyError(reply);
        if (error !== null) this.#log.warn({ node: node.name, statement: entry.text, error }, 'node refused a catalog statement; going on');
        applied++;
        await this.#redis.irxCatalogAdvance(keys.catalogApplied(), node.name, applied);
        node.catalogBehind = Math.max(0, length - applied);
        // Each entry may take up to the query timeout: keep the lease for the next one.
        if ((await this.#redis.irxLeaseRenew(keys.catalogLease(node.name), token, leaseTtl)) !== 1) return false;
      }
      this.#log.info({ node: node.name, applied }, 'node is up to date with the catalog');
      node.catalogBlocksReads = false;
      return true;
    } catch (err) {
      this.#log.debug({ node: node.name, err: (err as Error).message }, 'catalog convergence interrupted');
      return false;
    } finally {
      await this.#redis.irxLeaseRelease(keys.catalogLease(node.name), token).catch(() => 0);
    }
  }
}
