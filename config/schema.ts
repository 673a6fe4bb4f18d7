// The one schema of InfluxRing's configuration: types, validation and defaults come from here.
// Every field documents its default once (the `.prefault`) and its meaning once (the `.describe`);
// the README's configuration table is generated from this file (`npm run docs:config`).
import { z } from 'zod';
import { duration, positiveInt, size } from './primitives.js';
import { ruleSchema } from './rule-schema.js';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:7076');

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export const nodeSchema = z.object({
  name: z.string().regex(NODE_NAME, 'expected 1-63 letters, digits, "_", "." or "-"').describe('Unique node name (used in Redis keys, metrics and logs).'),
  url: z.url({ protocol: /^https?$/ }).describe('Base URL of the InfluxDB 1.x HTTP API, e.g. http://10.0.0.1:8086.'),
  username: z.string().prefault('').describe('User the proxy authenticates as on this node (empty: no auth).'),
  password: z.string().prefault('').describe('Password for `username`.'),
  writeOnly: z
    .boolean()
    .prefault(false)
    .describe('Takes writes but serves no reads (a node being filled): its measurements are read from another circle.'),
});

export const circleSchema = z.object({
  name: z.string().regex(NODE_NAME, 'expected 1-63 letters, digits, "_", "." or "-"').describe('Circle name.'),
  nodes: z.array(nodeSchema).min(1, 'a circle needs at least one node').describe('Nodes of the circle; together they hold one full copy.'),
});

export const userSchema = z.object({
  name: z.string().min(1).describe('User name.'),
  passwordHash: z
    .string()
    .regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, 'expected a hash from `npm run hash-password`')
    .describe('scrypt hash of the password, made by `npm run hash-password`.'),
});

export const configSchema = z
  .object({
    listen: hostPort.prefault('127.0.0.1:7076').describe('Address the proxy listens on.'),
    processes: z
      .union([positiveInt.max(256), z.literal('auto')])
      .prefault(1)
      .describe('Proxy processes sharing the port; `auto` runs one per CPU core.'),
    redis: z
      .object({
        mode: z.enum(['standalone', 'sentinel', 'cluster']).prefault('standalone').describe('How to reach Redis.'),
        url: z.string().prefault('redis://127.0.0.1:6379').describe('Standalone Redis URL (`redis://[:password@]host:port[/db]`).'),
        nodes: z.array(hostPort).prefault([]).describe('Sentinel or Cluster seed addresses (`host:port`).'),
        sentinelName: z.string().prefault('mymaster').describe('Master name known to the Sentinels.'),
        password: z.string().prefault('').describe('Password for Sentinel/Cluster nodes (standalone: put it in `url`).'),
        keyPrefix: z.string().regex(/^[A-Za-z0-9_-]+$/).prefault('irx').describe('Prefix of every Redis key InfluxRing writes.'),
      })
      .prefault({})
      .describe('Redis connection.'),
    ring: z
      .object({
        mode: z
          .enum(['ketama', 'influx-proxy'])
          .prefault('ketama')
          .describe('`ketama` (hashring package, keyed by node name) or `influx-proxy` (same owners as chengshiwen/influx-proxy).'),
        hashKey: z
          .enum(['idx', 'exi'])
          .prefault('idx')
          .describe('influx-proxy mode only: how a node is keyed on the ring, as influx-proxy\'s `hash_key`.'),
        cacheSize: positiveInt.prefault(100_000).describe('Shard keys whose owners are cached per process.'),
      })
      .prefault({})
      .describe('Consistent-hash ring of each circle.'),
    circles: z
      .array(circleSchema)
      .min(1, 'at least one circle is required')
      .describe(
        'Circles of nodes; every circle holds a full copy of the data. They seed the topology in Redis on the first start; from then on the topology in Redis (changed with the admin API) is the one used.',
      ),
    rules: z
      .array(ruleSchema)
      .superRefine((rules, ctx) => {
        const seen = new Set<string>();
        for (const [i, rule] of rules.entries()) {
          if (seen.has(rule.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `rule ${rule.name} appears twice` });
          seen.add(rule.name);
        }
      })
      .prefault([])
      .describe('Detection rules. They seed the rules in Redis on the first start; from then on the rules in Redis (changed with the admin API, `/admin/rules`) are the ones used.'),
    detection: z
      .object({
        redisUrl: z.string().prefault('').describe('A standalone Redis (`redis://[:password@]host:port[/db]`) for detection\'s queues, batches, leases, curve states and saved past windows, apart from the one that keeps the replay buffers (empty: that one, `redis`). It may run without persistence: what a restart loses there is skipped detection, curves then start again from the cluster.'),
        shards: positiveInt.max(1024).prefault(16).describe('Detection shards: each series belongs to one (a hash of its key), each shard is one queue, owned by one worker at a time.'),
        flushInterval: duration.prefault('200ms').describe('How long a proxy gathers the points of a shard before handing them to its queue.'),
        batchPoints: positiveInt.prefault(5000).describe('Points of a shard that make a proxy hand them over at once.'),
        maxPendingPoints: positiveInt.prefault(200_000).describe('Points a proxy process holds for the queues at most; more are skipped (counted), never delaying a write.'),
        batchTtl: duration.prefault('24h').describe('How long a queued batch\'s lines stay in Redis for a worker to take; a batch still queued after this is lost (a worker logs it).'),
        database: z.string().min(1).prefault('anomalies').describe('Database the workers write anomalies to (measurement `anomaly`), created through the proxy.'),
        proxyUrl: z.string().prefault('').describe('URL of a proxy the workers write anomalies and load past windows through (empty: http:// + `listen`, with 0.0.0.0 as 127.0.0.1).'),
        username: z.string().prefault('').describe('User the workers authenticate as at the proxy when its `auth` is on (anomaly writes, past-window queries); empty: none.'),
        password: z.string().prefault('').describe('Password of `detection.username`.'),
        leaseTtl: duration.prefault('10s').describe('Lease of a worker on a shard; a worker that stops renewing loses its shards after this.'),
        checkpointInterval: duration.prefault('5s').describe('How often a worker saves the state of its series, and the past windows (Metis, seasonal ESD) that changed, to Redis.'),
        idleCurveTtl: duration.prefault('24h').describe('A curve that gets no point for this long is forgotten: its state (in the worker and in Redis) and its past windows.'),
        historyPrefetch: positiveInt.prefault(60).describe('Buckets a worker loads ahead of need in the past windows of Metis and seasonal rules (one bulk query per rule and window every so many buckets).'),
        historyTimeout: duration.prefault('60s').describe('Time limit of one bulk query for past windows.'),
        webhookTimeout: duration.prefault('5s').describe('Time limit of one webhook call.'),
        webhookRetries: z.number().int().nonnegative().prefault(3).describe('Retries of a failed webhook call (with backoff).'),
      })
      .prefault({})
      .describe('The detection pipeline (proxy → shard queues → workers).'),
    topology: z
      .object({
        pollInterval: duration.prefault('500ms').describe('How often a proxy reads the topology from Redis, besides the announcements of changes.'),
        heartbeatInterval: duration.prefault('250ms').describe('How often a proxy process tells Redis which topology version it routes with.'),
        proxyTimeout: duration.prefault('5s').describe('A proxy process silent for this long is taken for gone: operations stop waiting for it.'),
      })
      .prefault({})
      .describe('Following the topology stored in Redis.'),
    admin: z
      .object({
        token: z.string().prefault('').describe('Bearer token of the admin API (`/admin`); empty: the admin API is off.'),
      })
      .prefault({})
      .describe('The admin API.'),
    jobs: z
      .object({
        copyBatchLines: positiveInt.prefault(10_000).describe('Points an operation writes to a node in one request when it copies data.'),
        copyConcurrency: positiveInt.prefault(2).describe('Measurements an operation copies at the same time.'),
        copyRate: z
          .number()
          .int()
          .nonnegative()
          .prefault(0)
          .describe('Most points per second one operation copies (0: as fast as the nodes take them); throttles rebalances under write load.'),
        lockTtl: duration.prefault('30s').describe('Lease of a job on its circle, renewed while it runs; a job whose worker died frees the circle after this.'),
        barrierTimeout: duration.prefault('60s').describe('Longest an operation waits for every proxy to route with a new topology version.'),
        keepHistory: positiveInt.prefault(500).describe('Finished jobs kept for `GET /admin/jobs`.'),
      })
      .prefault({})
      .describe('Admin operations (rebalance, recovery, resync, cleanup), run by workers.'),
    write: z
      .object({
        flushLines: positiveInt.prefault(10_000).describe('A node batch is sent once it holds this many lines.'),
        flushBytes: size.prefault('4MiB').describe('A node batch is sent once it holds this many bytes.'),
        flushAge: duration
          .prefault('2ms')
          .describe(
            'While a batch to the node is in flight, longest a new batch waits to gather more lines (to an idle node a batch goes at once, at the end of the event-loop turn).',
          ),
        maxInFlightPerNode: positiveInt.prefault(4).describe('Batches in flight to one node at once (its connection pool size).'),
        maxPendingBytesPerNode: size
          .prefault('64MiB')
          .describe('Bytes waiting for a live node that does not keep up; beyond it the node goes to buffering (its writes in flight are aborted and buffered too).'),
        gzip: z
          .union([z.boolean(), z.literal('auto')])
          .prefault('auto')
          .describe('Gzip batches sent to nodes; `auto` compresses for nodes that are not on loopback (where it only costs CPU).'),
        gzipLevel: z.number().int().min(1).max(9).prefault(1).describe('Gzip level for node batches.'),
        gzipMinBytes: size.prefault('4KiB').describe('Batches smaller than this are sent uncompressed.'),
        nodeTimeout: duration.prefault('10s').describe('A node write not answered within this is buffered for replay.'),
      })
      .prefault({})
      .describe('Batching of writes to nodes.'),
    limits: z
      .object({
        maxBodyBytes: size.prefault('64MiB').describe('Largest write body after decompression (413 beyond).'),
        maxCompressedBodyBytes: size.prefault('25MB').describe('Largest write body as received (413 beyond), as influxd\'s max-body-size.'),
        maxLineBytes: size.prefault('1MiB').describe('Longest line of line protocol (that line is rejected with 400).'),
        requestTimeout: duration.prefault('30s').describe('A write whose body is not received within this gets 408.'),
      })
      .prefault({})
      .describe('Limits on client requests.'),
    replay: z
      .object({
        maxBytesPerNode: size.prefault('1GiB').describe('Cap of one node\'s replay buffer in Redis; when full, writers get 503.'),
        batchLines: positiveInt.prefault(10_000).describe('Most lines replayed to a node in one request.'),
        batchBytes: size.prefault('8MiB').describe('Most bytes replayed to a node in one request.'),
        lockTtl: duration
          .prefault('10s')
          .describe('Lease of the one replayer of a node, renewed while it replays; also the longest a write waits for a buffer being drained.'),
        retryDelay: duration.prefault('1s').describe('Pause before replaying again after the node refused a batch.'),
        retryAfterSeconds: positiveInt.prefault(5).describe('`Retry-After` sent with a 503 when data can go nowhere.'),
      })
      .prefault({})
      .describe('Replay buffers of writes nodes could not take.'),
    query: z
      .object({
        timeout: duration.prefault('60s').describe('A node that does not answer a query within this is skipped for the next circle.'),
        maxMergeBytes: size
          .prefault('256MiB')
          .describe('Largest answer read from one node when answers of several nodes are merged (larger: the statement fails, asking for a LIMIT).'),
      })
      .prefault({})
      .describe('Queries (/query).'),
    health: z
      .object({
        interval: duration.prefault('1s').describe('Time between health checks of a node.'),
        timeout: duration.prefault('2s').describe('A ping or probe write slower than this fails the check.'),
        probeDatabase: z
          .string()
          .regex(/^[A-Za-z0-9_]+$/)
          .prefault('_influxring')
          .describe('Database of the proxy\'s own on every node, for the write probe.'),
        catalogRefresh: duration.prefault('10s').describe('Time between refreshes of the databases and retention policies seen on nodes.'),
      })
      .prefault({})
      .describe('Health checks of nodes.'),
    auth: z
      .object({
        enabled: z.boolean().prefault(false).describe('Require credentials on every endpoint but /ping.'),
        users: z.array(userSchema).prefault([]).describe('Proxy users (name and scrypt password hash).'),
      })
      .prefault({})
      .describe('Authentication of clients at the proxy.'),
    shutdownTimeout: duration.prefault('30s').describe('On SIGTERM, longest wait for in-flight writes to finish.'),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).prefault('info').describe('Log level.'),
      })
      .prefault({})
      .describe('Logging.'),
  })
  .superRefine((config, ctx) => {
    const nodeNames = new Set<string>();
    const circleNames = new Set<string>();
    config.circles.forEach((circle, c) => {
      if (circleNames.has(circle.name)) {
        ctx.addIssue({ code: 'custom', path: ['circles', c, 'name'], message: `duplicate circle name "${circle.name}"` });
      }
      circleNames.add(circle.name);
      circle.nodes.forEach((node, n) => {
        if (nodeNames.has(node.name)) {
          ctx.addIssue({ code: 'custom', path: ['circles', c, 'nodes', n, 'name'], message: `duplicate node name "${node.name}"` });
        }
        nodeNames.add(node.name);
      });
    });
    if (config.auth.enabled && config.auth.users.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['auth', 'users'], message: 'auth is enabled but no users are configured' });
    }
    if (config.redis.mode !== 'standalone' && config.redis.nodes.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['redis', 'nodes'], message: `redis mode "${config.redis.mode}" needs seed nodes` });
    }
  });

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type NodeConfig = z.output<typeof nodeSchema>;
export type CircleConfig = z.output<typeof circleSchema>;
