// What the admin API's handlers share: the proxy's live cluster, the topology store, the job queue.
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Cluster } from '../cluster.js';
import type { RedisClient } from '../redis.js';
import type { RedisKeys } from '../redis-keys.js';
import type { RuleStore } from '../rule-store.js';
import type { TopologyStore } from '../topology-store.js';
import type { JobQueue } from './job-queue.js';

export interface AdminContext {
  readonly config: Config;
  readonly cluster: Cluster;
  readonly store: TopologyStore;
  readonly jobs: JobQueue;
  readonly rules: RuleStore;
  readonly redis: RedisClient;
  readonly keys: RedisKeys;
  /** Databases of the proxy's own (the health probe's), never placed by the rings. */
  readonly hiddenDatabases: ReadonlySet<string>;
  readonly log: Logger;
}
