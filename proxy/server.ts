// Builds a proxy process: its parts (topology, batchers, replay buffers, health checks) and its HTTP
// server, without listening, so tests and the supervisor decide when and where.
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { Authenticator } from './auth.js';
import { Catalog } from './catalog.js';
import { readBody } from './body.js';
import { ProxyError } from './errors.js';
import { HealthChecker } from './health-check.js';
import { sendV1Error, sendV2Error } from './http-errors.js';
import { KnownDatabases } from './known-databases.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { createRedis, detectionRedisConfig, waitForRedis, type RedisClient } from './redis.js';
import { RedisKeys } from './redis-keys.js';
import { ReplayBuffer } from './replay-buffer.js';
import { Replayer } from './replayer.js';
import type { RouteContext } from './routes/context.js';
import { healthRoute } from './routes/health.js';
import { metricsRoute } from './routes/metrics.js';
import { pingRoutes } from './routes/ping.js';
import { queryRoute } from './routes/query.js';
import { QueryExecutor } from './query-executor.js';
import { writeRoute } from './routes/write.js';
import { writeV2Route } from './routes/write-v2.js';
import { Cluster } from './cluster.js';
import { JobQueue } from './admin/job-queue.js';
import { registerAdmin } from './admin/register.js';
import { ProxyHeartbeat } from './proxy-registry.js';
import { describeConfig } from './topology-description.js';
import { DetectionTap } from './detection/detection-tap.js';
import { RuleStore } from './rule-store.js';
import { TopologyStore } from './topology-store.js';
import { INFLUXRING_VERSION } from './version.js';
import { NodeBatcher } from './write-batcher.js';
import { WriteRouter } from './write-router.js';

export interface ProxyOptions {
  log?: Logger;
  /** Prometheus text of all processes; defaults to this process's registry. */
  metricsText?: (metrics: Metrics) => Promise<string>;
}

export interface Proxy {
  readonly app: FastifyInstance;
  readonly cluster: Cluster;
  readonly metrics: Metrics;
  /** Starts the health checks and listens; resolves with the address. */
  listen(): Promise<string>;
  /** Stops taking requests, finishes the writes in flight, stops everything. */
  close(): Promise<void>;
}

function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  return { host: listen.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(listen.slice(at + 1)) };
}

export async function createProxy(config: Config, options: ProxyOptions = {}): Promise<Proxy> {
  const log = options.log ?? createLogger(config.log.level);
  const redis: RedisClient = createRedis(config.redis, `influxring-proxy-${process.pid}`);
  redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis error'));
  const keys = new RedisKeys(config.redis.keyPrefix);
  const store = new TopologyStore(redis, keys, log);
  // The topology in Redis wins over the config file's circles, which only seed it.
  const seed = describeConfig(config);
  let description = seed;
  if (await waitForRedis(redis, 3000)) {
    description = await store.loadOrSeed(seed).catch((err: Error) => {
      log.warn({ err: err.message }, 'cannot read the topology from Redis; routing with the configuration file until it can');
      return seed;
    });
  } else {
    log.warn('Redis is not reachable yet: routing with the configuration file\'s circles; writes to a node that is down get 503 until it is');
  }
  const replayBuffer = new ReplayBuffer(redis, keys, config.replay.maxBytesPerNode);
  // The parts below read the current nodes through `cluster`, made last because a node's parts need them.
  let cluster: Cluster;
  const metrics = new Metrics(() => cluster.nodes);
  const catalog = new Catalog(redis, keys, () => cluster.nodes, config.query.timeout, log);
  const known = new KnownDatabases(() => cluster.nodes, config.health.timeout, log, () => catalog.version());
  cluster = new Cluster(description, {
    // Live writes plus the health probe and replay share a node's pool.
    connectionsPerNode: config.write.maxInFlightPerNode + 2,
    cacheSize: config.ring.cacheSize,
    createParts: (node) => ({
      batcher: new NodeBatcher(node, config.write, config.replay.lockTtl, replayBuffer, metrics, log),
      replayer: new Replayer(node, replayBuffer, config.replay, config.write.nodeTimeout, metrics, known, log),
    }),
    log,
  });
  const health = new HealthChecker(cluster, replayBuffer, known, catalog, config.health, metrics, log);
  const heartbeat = new ProxyHeartbeat(redis, keys, cluster, config.topology.heartbeatInterval);
  cluster.onChange(() => void heartbeat.beat());
  const hiddenDatabases = new Set([config.health.probeDatabase]);
  const executor = new QueryExecutor(cluster, catalog, {
    timeout: config.query.timeout,
    maxMergeBytes: config.query.maxMergeBytes,
  });
  const rules = new RuleStore(redis, keys);
  if (redis.status === 'ready') {
    await rules.seed(config.rules).catch((err: Error) => log.warn({ err: err.message }, 'cannot seed the detection rules in Redis'));
  }
  // Detection's queues get their own connection, failing fast like the main one: a write never waits.
  const detectionRedis = createRedis(detectionRedisConfig(config), `influxring-proxy-detection-${process.pid}`);
  detectionRedis.on('error', () => undefined);
  const tap = new DetectionTap(config.detection, detectionRedis, keys, metrics, log);
  const router = new WriteRouter(cluster, known, metrics, config, tap);
  const auth = new Authenticator(config.auth);

  const ctx: RouteContext = {
    config,
    cluster,
    router,
    known,
    metrics,
    auth,
    log,
    hiddenDatabases,
    redisReady: () => redis.status === 'ready',
    metricsText: options.metricsText ? () => (options.metricsText as (m: Metrics) => Promise<string>)(metrics) : () => metrics.registry.metrics(),
  };

  const app = Fastify({ logger: false, return503OnClosing: false, keepAliveTimeout: 65_000, requestTimeout: 0 });
  let closing = false;

  // Hooks of every request are synchronous (no promise per request); auth adds an async one.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-influxdb-version', cluster.influxdbVersion);
    reply.header('x-influxdb-build', 'OSS');
    reply.header('x-influxring-version', INFLUXRING_VERSION);
    (request as { startedAt?: number }).startedAt = performance.now();
    if (closing) {
      // Requests that still arrive on open connections while stopping: retry elsewhere.
      const err = new ProxyError('IRX_ERR_WRITE_SHUTTING_DOWN');
      reply.header('connection', 'close');
      const send = request.url.startsWith('/api/v2/') ? sendV2Error : sendV1Error;
      send(reply, err.status, err.message, config.replay.retryAfterSeconds);
      return;
    }
    done();
  });
  if (auth.enabled) {
    app.addHook('onRequest', async (request, reply) => {
      // The admin API has its own token.
      if (request.url.startsWith('/ping') || request.url.startsWith('/admin')) return;
      const err = await auth.check(request.query as Record<string, unknown>, request.headers.authorization);
      if (err !== null) {
        metrics.requestsRejected.labels('auth').inc();
        const send = request.url.startsWith('/api/v2/') ? sendV2Error : sendV1Error;
        await send(reply, err.status, err.message);
      }
    });
  }
  app.addHook('onResponse', (request, reply, done) => {
    const started = (request as { startedAt?: number }).startedAt;
    if (started !== undefined) {
      const endpoint = request.routeOptions.url ?? 'unknown';
      metrics.requestDuration.labels(endpoint, String(reply.statusCode)).observe((performance.now() - started) / 1000);
    }
    done();
  });

  app.setErrorHandler((err: FastifyError | ProxyError, request, reply) => {
    const status = err instanceof ProxyError ? err.status : (err.statusCode ?? 500);
    if (status >= 500) log.error({ err, url: request.url }, 'request failed');
    if (err instanceof ProxyError) {
      const reason = status === 413 ? 'body_too_large' : status === 408 ? 'timeout' : 'body_unreadable';
      metrics.requestsRejected.labels(reason).inc();
    }
    const send = request.url.startsWith('/api/v2/') ? sendV2Error : sendV1Error;
    return send(reply, status, err.message);
  });
  app.setNotFoundHandler((request, reply) => {
    const err = new ProxyError('IRX_ERR_NOT_FOUND', [request.method, request.url.split('?')[0] ?? '']);
    return sendV1Error(reply, err.status, err.message);
  });

  // The job queue (its own Redis connection, as BullMQ needs) only when the admin API is on.
  let jobs: JobQueue | null = null;
  let queueRedis: RedisClient | null = null;
  if (config.admin.token !== '') {
    queueRedis = createRedis(config.redis, `influxring-proxy-jobs-${process.pid}`, 'queue');
    queueRedis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis error (job queue)'));
    jobs = new JobQueue(queueRedis as RedisClient, redis, keys, config.jobs.keepHistory);
  }
  await registerAdmin(app, config.admin.token, () => ({
    config,
    cluster,
    store,
    jobs: jobs as JobQueue,
    rules,
    redis,
    keys,
    hiddenDatabases,
    log,
  }));
  pingRoutes(app, ctx);
  healthRoute(app, ctx);
  metricsRoute(app, ctx);
  // Query parameters may come in a form body.
  await app.register(async (queries) => {
    queries.removeAllContentTypeParsers();
    queries.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: config.limits.maxBodyBytes }, (_request, body, done) => {
      done(null, new URLSearchParams(body as string));
    });
    queries.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.limits.maxBodyBytes }, (_request, _body, done) => done(null, undefined));
    queryRoute(queries, ctx, executor);
  });
  // Write bodies are line protocol whatever their Content-Type says: read them raw, within limits.
  await app.register(async (writes) => {
    // influxd ignores Content-Type (the influx CLI even sends an empty one): so do we.
    writes.addHook('onRequest', (request, _reply, done) => {
      request.headers['content-type'] = 'text/plain';
      done();
    });
    writes.removeAllContentTypeParsers();
    writes.addContentTypeParser('*', (request, payload, done) => {
      const length = request.headers['content-length'];
      readBody(payload, request.headers['content-encoding'], length === undefined ? null : Number(length), config.limits).then(
        (body) => done(null, body),
        (err: Error) => done(err),
      );
    });
    writeRoute(writes, ctx);
    writeV2Route(writes, ctx);
  });

  let started = false;
  let stopWatching = (): void => undefined;
  let stopFollowingRules = (): void => undefined;
  return {
    app,
    cluster,
    metrics,
    async listen() {
      await health.start();
      stopWatching = store.watch((next) => cluster.apply(next), config.topology.pollInterval);
      stopFollowingRules = tap.follow(rules, 1000);
      heartbeat.start();
      started = true;
      const address = await app.listen(splitListen(config.listen));
      return address;
    },
    async close() {
      const deadline = setTimeout(() => {
        log.error({ timeoutMs: config.shutdownTimeout }, 'shutdown took too long; exiting');
        process.exit(1);
      }, config.shutdownTimeout);
      deadline.unref();
      closing = true;
      await app.close();
      stopWatching();
      stopFollowingRules();
      await tap.close();
      detectionRedis.disconnect();
      health.stop();
      await heartbeat.stop();
      await cluster.close();
      if (jobs !== null) {
        await jobs.close().catch(() => undefined);
        queueRedis?.disconnect();
      }
      if (started) log.info('proxy stopped');
      redis.disconnect();
      clearTimeout(deadline);
    },
  };
}
