// Detection rules in Redis: a hash of rule name → JSON, seeded once from the configuration file's
// `rules`, changed by the admin API; a version counter and a channel let proxies and workers follow
// without a restart.
import { ruleSchema, type Rule } from '../config/rule-schema.js';
import type { RedisClient } from './redis.js';
import { followChannel } from './redis-follow.js';
import type { RedisKeys } from './redis-keys.js';

export class RuleStore {
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;

  constructor(redis: RedisClient, keys: RedisKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /** Stores the configuration's rules, the first time only (later, Redis has the say). Returns whether it did. */
  async seed(rules: readonly Rule[]): Promise<boolean> {
    const first = await this.#redis.set(this.#keys.rulesSeeded(), String(Date.now()), 'NX');
    if (first !== 'OK') return false;
    for (const rule of rules) await this.#redis.hsetnx(this.#keys.rules(), rule.name, JSON.stringify(rule));
    if (rules.length > 0) await this.#changed('*');
    return true;
  }

  async list(): Promise<Rule[]> {
    const all = await this.#redis.hgetall(this.#keys.rules());
    return Object.values(all)
      .map((json) => ruleSchema.parse(JSON.parse(json)))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<Rule | null> {
    const json = await this.#redis.hget(this.#keys.rules(), name);
    return json === null ? null : ruleSchema.parse(JSON.parse(json));
  }

  /** Creates or replaces a rule; true when it was new. */
  async put(rule: Rule): Promise<boolean> {
    const added = await this.#redis.hset(this.#keys.rules(), rule.name, JSON.stringify(rule));
    await this.#changed(rule.name);
    return added === 1;
  }

  /** Deletes a rule; false when there was none. */
  async delete(name: string): Promise<boolean> {
    const removed = await this.#redis.hdel(this.#keys.rules(), name);
    if (removed === 1) await this.#changed(name);
    return removed === 1;
  }

  /** Raises the version and announces the change. */
  async #changed(name: string): Promise<void> {
    await this.#redis.incr(this.#keys.rulesVersion());
    await this.#redis.publish(this.#keys.rulesChanged(), name).catch(() => 0);
  }

  /**
   * Calls `onRules` with all the rules now and after every change (announced, or seen by polling every
   * `pollMs`: only the version is read when nothing changed). Returns a function that stops.
   */
  follow(pollMs: number, onRules: (rules: Rule[]) => void, onError: (err: Error) => void): () => void {
    let seen: string | null = null;
    return followChannel(this.#redis, this.#keys.rulesChanged(), pollMs, async () => {
      try {
        const version = (await this.#redis.get(this.#keys.rulesVersion())) ?? '0';
        if (version === seen) return;
        const rules = await this.list();
        seen = version;
        onRules(rules);
      } catch (err) {
        onError(err as Error);
      }
    });
  }
}
