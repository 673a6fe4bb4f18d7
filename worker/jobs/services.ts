// What every admin job uses besides its JobContext: Redis and its keys, the worker's topology with
// connection pools, and the databases that are never placed by the rings.
import type { RedisClient } from '../../proxy/redis.js';
import type { RedisKeys } from '../../proxy/redis-keys.js';
import type { ReplayBuffer } from '../../proxy/replay-buffer.js';
import type { WorkerTopology } from '../worker-topology.js';

export interface JobServices {
  readonly redis: RedisClient;
  readonly keys: RedisKeys;
  readonly replay: ReplayBuffer;
  readonly topology: WorkerTopology;
  /** The proxy's own databases (its health probe's): not data, never copied or cleaned. */
  readonly hiddenDatabases: ReadonlySet<string>;
  /** Removes what Redis keeps for a node that left the topology (replay buffer, catalog progress). */
  forgetNode(name: string): Promise<void>;
}
