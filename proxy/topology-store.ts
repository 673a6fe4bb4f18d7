// The topology in Redis: one JSON document with a version, seeded from the config file on the first
// start and changed by the admin API and the admin jobs. A change is a compare-and-set on the version
// (a script), announced on a channel; every proxy also polls, so a missed message delays nothing by
// more than the poll interval.
import type { Logger } from 'pino';
import type { RedisClient } from './redis.js';
import { followChannel } from './redis-follow.js';
import type { RedisKeys } from './redis-keys.js';
import { TopologyChangeError, validateTopology, type TopologyDescription } from './topology-description.js';

// SET_TOPOLOGY — KEYS: topology, lock (of the circle changed, or the topology key again when none).
// ARGV: expected version, new JSON, token ('' = the lock must be free, '-' = no lock check).
// Returns 1 when set, 0 when the version moved on meanwhile, -1 when the lock says no.
const SET_TOPOLOGY = `
local current = redis.call('GET', KEYS[1])
if current then
  local version = tonumber(string.match(current, '"version":(%d+)'))
  if version ~= tonumber(ARGV[1]) then return 0 end
elseif tonumber(ARGV[1]) ~= 0 then
  return 0
end
if ARGV[3] ~= '-' then
  local holder = redis.call('GET', KEYS[2])
  if ARGV[3] == '' then
    if holder then return -1 end
  elseif holder ~= ARGV[3] then
    return -1
  end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

interface StoreCommands {
  irxTopologySet(topology: string, lock: string, expected: number, json: string, token: string): Promise<number>;
}

/** Who may change a circle: `null` token = nobody holds its lock (an operator); a string = the job holding it. */
export interface CircleGuard {
  readonly circle: string;
  readonly token: string | null;
}

/** The stored topology's JSON starts with its version, so the script can read it without a JSON parser. */
function serialize(topology: TopologyDescription): string {
  const { version, ...rest } = topology;
  return JSON.stringify({ version, ...rest });
}

export class TopologyStore {
  readonly #redis: RedisClient & StoreCommands;
  readonly #keys: RedisKeys;
  readonly #log: Logger;

  constructor(redis: RedisClient, keys: RedisKeys, log: Logger) {
    redis.defineCommand('irxTopologySet', { numberOfKeys: 2, lua: SET_TOPOLOGY });
    this.#redis = redis as RedisClient & StoreCommands;
    this.#keys = keys;
    this.#log = log;
  }

  async load(): Promise<TopologyDescription | null> {
    const json = await this.#redis.get(this.#keys.topology());
    return json === null ? null : validateTopology(JSON.parse(json) as TopologyDescription);
  }

  /** The stored topology, or `seed` stored as the first one when there is none yet. */
  async loadOrSeed(seed: TopologyDescription): Promise<TopologyDescription> {
    const stored = await this.load();
    if (stored !== null) return stored;
    const set = await this.#redis.irxTopologySet(this.#keys.topology(), this.#keys.topology(), 0, serialize(seed), '-');
    if (set === 1) {
      this.#log.info({ version: seed.version }, 'topology seeded from the configuration file');
      return seed;
    }
    return (await this.load()) as TopologyDescription;
  }

  /**
   * Applies `change` to the stored topology (retried when another change came first) and announces the
   * new version. With a guard, the circle's lock must be free (operator) or held by the token (job).
   */
  async change(change: (current: TopologyDescription) => TopologyDescription, guard: CircleGuard | null = null): Promise<TopologyDescription> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = await this.load();
      if (current === null) throw new TopologyChangeError(409, 'no topology is stored yet: a proxy seeds it when it starts');
      const next = change(current);
      const lock = guard === null ? this.#keys.topology() : this.#keys.circleLock(guard.circle);
      const token = guard === null ? '-' : (guard.token ?? '');
      const set = await this.#redis.irxTopologySet(this.#keys.topology(), lock, current.version, serialize(next), token);
      if (set === 1) {
        await this.#redis.publish(this.#keys.topologyChanged(), String(next.version)).catch(() => 0);
        return next;
      }
      if (set === -1) {
        throw new TopologyChangeError(409, guard?.token ? `the lock of circle ${guard.circle} is no longer held by this job` : `circle ${guard?.circle ?? ''} is being changed by a job: wait for it, or cancel it`);
      }
    }
    throw new TopologyChangeError(409, 'the topology kept changing under this change: try again');
  }

  /** The stored version, read from the start of the document (cheap: no parse of the whole). */
  async storedVersion(): Promise<number> {
    const head = await this.#redis.getrange(this.#keys.topology(), 0, 40);
    return Number(/^\{"version":(\d+)/.exec(head)?.[1] ?? 0);
  }

  /**
   * Calls `onChange` with every newer topology: on the channel's message and every `pollMs` (the
   * version is compared first). Returns a function that stops watching.
   */
  watch(onChange: (topology: TopologyDescription) => void, pollMs: number): () => void {
    let stopped = false;
    let lastVersion = 0;
    const stop = followChannel(this.#redis, this.#keys.topologyChanged(), pollMs, async () => {
      if ((await this.storedVersion()) <= lastVersion) return;
      const topology = await this.load();
      if (topology !== null && topology.version > lastVersion && !stopped) {
        lastVersion = topology.version;
        onChange(topology);
      }
    });
    return () => {
      stopped = true;
      stop();
    };
  }
}
