// The worker process's detection part: it follows the rules in Redis (announcements and polling, so a
// change needs no restart), holds leases on its share of the detection shards, and runs a
// ShardProcessor for each shard it owns. Anomalies go to the anomaly database through the proxy, whose
// database is created through the proxy's /query (so every node gets it, via the catalog).
import type { Logger } from 'pino';
import type { Rule } from '../../config/rule-schema.js';
import type { Config } from '../../config/schema.js';
import { quoteIdent } from '../../proxy/influxql-tokens.js';
import { createRedis, detectionRedisConfig, type RedisClient } from '../../proxy/redis.js';
import { RedisKeys } from '../../proxy/redis-keys.js';
import { RuleIndex } from '../../proxy/detection/rule-index.js';
import { RuleStore } from '../../proxy/rule-store.js';
import { AnomalySink } from './anomaly-sink.js';
import { HistoryLoader } from './history-loader.js';
import { PointReader } from './point-reader.js';
import { ShardLeases } from './shard-leases.js';
import { ShardProcessor } from './shard-processor.js';

export interface DetectionWorker {
  close(): Promise<void>;
}

/** The proxy URL anomalies are written through: detection.proxyUrl, else the configured listen address. */
function anomalyProxyUrl(config: Config): string {
  if (config.detection.proxyUrl !== '') return config.detection.proxyUrl.replace(/\/+$/, '');
  return `http://${config.listen.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '127.0.0.1:')}`;
}

export function startDetectionWorker(config: Config, log: Logger): DetectionWorker {
  // The rules and the anomalies are in the main Redis; the queues, batches, leases and curve states
  // in detection's (detection.redisUrl; the same one unless set).
  const redis: RedisClient = createRedis(config.redis, `influxring-worker-detect-${process.pid}`);
  redis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis error (detection)'));
  const own = config.detection.redisUrl !== '';
  const detectRedis: RedisClient = own ? createRedis(detectionRedisConfig(config), `influxring-worker-detect-shards-${process.pid}`) : redis;
  if (own) detectRedis.on('error', (err: Error) => log.debug({ err: err.message }, 'redis error (detection queues)'));
  const connection = createRedis(detectionRedisConfig(config), `influxring-worker-detect-queues-${process.pid}`, 'queue');
  connection.on('error', () => undefined);
  const keys = new RedisKeys(config.redis.keyPrefix);
  const store = new RuleStore(redis, keys);
  const proxyUrl = anomalyProxyUrl(config);
  const { username, password } = config.detection;
  const headers: Record<string, string> = username === '' ? {} : { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
  const sink = new AnomalySink(redis, keys, { proxyUrl, token: username === '' ? '' : `${username}:${password}`, database: config.detection.database, webhookTimeout: config.detection.webhookTimeout, webhookRetries: config.detection.webhookRetries }, log);

  const reader = new PointReader(config.detection.shards);
  const processors = new Map<number, ShardProcessor>();
  const history = new HistoryLoader(
    { proxyUrl, headers, shards: config.detection.shards, prefetch: config.detection.historyPrefetch, timeout: config.detection.historyTimeout, owns: (shard) => processors.has(shard),
      feed: (shard, rule, key, values, since) => processors.get(shard)?.startFrom(rule, key, values, since),
    },
    log,
  );

  let rules = new Map<string, Rule>();
  let index = new RuleIndex([]);
  const stopFollowing = store.follow(
    1000,
    (list) => {
      rules = new Map(list.map((rule) => [rule.name, rule]));
      index = new RuleIndex(list);
      // The curves of deleted rules: their states (here and in Redis) and past windows go.
      const live = new Set(rules.keys());
      for (const processor of processors.values()) void processor.forgetRulesExcept(live);
      history.forgetRulesExcept(live);
    },
    (err) => log.debug({ err: err.message }, 'cannot read the detection rules'),
  );
  // A batch may name a rule added a moment ago: look it up (at most once a second per name; a batch
  // naming a rule being looked up waits for that lookup, so no shard judges with an index without it).
  const lookedUp = new Map<string, number>();
  const lookingUp = new Map<string, Promise<void>>();
  const rulesFor = async (names: readonly string[]): Promise<RuleIndex> => {
    for (const name of names) {
      if (rules.has(name)) continue;
      let lookup = lookingUp.get(name);
      if (lookup === undefined) {
        if (Date.now() - (lookedUp.get(name) ?? 0) < 1000) continue;
        lookedUp.set(name, Date.now());
        lookup = store
          .get(name)
          .then((rule) => {
            if (rule === null) return;
            rules.set(name, rule);
            index = new RuleIndex([...rules.values()]);
          })
          .catch(() => undefined)
          .finally(() => lookingUp.delete(name));
        lookingUp.set(name, lookup);
      }
      await lookup;
    }
    return index;
  };

  // The anomaly database, through the proxy (recorded in its catalog; retried until the proxy answers).
  let databaseReady = false;
  const createDatabase = async (): Promise<void> => {
    while (!databaseReady) {
      try {
        // Only when missing: a catalog change is applied to every node, no need to make one per start.
        const shown = await fetch(`${proxyUrl}/query`, { method: 'POST', headers, body: new URLSearchParams({ q: 'SHOW DATABASES' }) });
        const text = await shown.text();
        const exists = shown.status === 200 && (JSON.parse(text) as { results?: { series?: { values?: string[][] }[] }[] }).results?.[0]?.series?.[0]?.values?.some((row) => row[0] === config.detection.database) === true;
        if (exists) databaseReady = true;
        else {
          const response = await fetch(`${proxyUrl}/query`, { method: 'POST', headers, body: new URLSearchParams({ q: `CREATE DATABASE ${quoteIdent(config.detection.database)}` }) });
          await response.arrayBuffer();
          databaseReady = response.status === 200;
        }
      } catch {
        // the proxy is not up yet
      }
      if (!databaseReady) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
  void createDatabase();

  const counts = { judged: 0, unjudged: 0, 'no-rule': 0 };
  const leases = new ShardLeases(
    detectRedis,
    keys,
    config.detection.shards,
    config.detection.leaseTtl,
    {
      async acquired(shard, token) {
        const processor = new ShardProcessor(shard, token, {
          redis: detectRedis,
          connection,
          keys,
          rules: (names) => (names.every((name) => rules.has(name)) ? index : rulesFor(names)),
          reader,
          history,
          sink,
          checkpointInterval: config.detection.checkpointInterval,
          idleCurveTtl: config.detection.idleCurveTtl,
          log,
          counted: (outcome, points) => {
            counts[outcome] += points;
          },
        });
        processors.set(shard, processor);
        // Its curves' past windows are not here: the rules that compare with past days load them again.
        history.reload();
        await processor.start();
      },
      async lost(shard) {
        const processor = processors.get(shard);
        processors.delete(shard);
        await processor?.stop();
        history.forget(shard);
      },
    },
    log,
  );
  leases.start();
  const report = setInterval(() => {
    if (Object.values(counts).some((count) => count > 0)) log.info({ shards: [...processors.keys()], rules: rules.size, ...counts, webhooks: sink.webhooksSent, historyQueries: history.queries, historyPoints: history.pointsLoaded, unreadableLines: reader.unreadable }, 'detection');
  }, 10_000);
  report.unref();

  return {
    async close() {
      stopFollowing();
      clearInterval(report);
      databaseReady = true;
      await leases.stop();
      await sink.close();
      connection.disconnect();
      redis.disconnect();
      if (own) detectRedis.disconnect();
    },
  };
}
