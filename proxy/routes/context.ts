// What route handlers share: the proxy's parts, built once by createProxy.
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Authenticator } from '../auth.js';
import type { KnownDatabases } from '../known-databases.js';
import type { Metrics } from '../metrics.js';
import type { Cluster } from '../cluster.js';
import type { WriteRouter } from '../write-router.js';

export interface RouteContext {
  readonly config: Config;
  readonly cluster: Cluster;
  readonly router: WriteRouter;
  readonly known: KnownDatabases;
  readonly metrics: Metrics;
  readonly auth: Authenticator;
  /** Databases of the proxy's own, never shown to clients. */
  readonly hiddenDatabases: ReadonlySet<string>;
  readonly log: Logger;
  /** Whether Redis answers (for /health). */
  redisReady(): boolean;
  /** Prometheus text for /metrics (aggregated over processes when there are several). */
  metricsText(): Promise<string>;
}
