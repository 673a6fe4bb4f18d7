// Where anomalies go: a point in the anomaly database (measurement `anomaly`; tags rule, series,
// algorithm; fields value, threshold, score) written through the proxy's /api/v2/write with
// @influxdata/influxdb-client, the newest 10,000 in Redis for GET /admin/anomalies, and — outside the
// rule's cooldown — a webhook call to each of the rule's URLs, with retries. An alert is sent once even
// when a batch is processed again after a worker died (a key per alert in Redis).
import { InfluxDB, Point, type WriteApi } from '@influxdata/influxdb-client';
import type { Logger } from 'pino';
import type { Rule } from '../../config/rule-schema.js';
import type { RedisClient } from '../../proxy/redis.js';
import type { RedisKeys } from '../../proxy/redis-keys.js';

export interface Anomaly {
  readonly rule: string;
  readonly series: string;
  readonly algorithm: string;
  /** Time of the point (ms since the epoch). */
  readonly time: number;
  readonly value: number;
  readonly threshold: number;
  readonly score: number;
}

const ANOMALIES_KEPT = 10_000;

export interface SinkOptions {
  readonly proxyUrl: string;
  /** `user:password` for the proxy's auth (sent as `Authorization: Token …`), or empty. */
  readonly token: string;
  readonly database: string;
  readonly webhookTimeout: number;
  readonly webhookRetries: number;
}

export class AnomalySink {
  readonly #writer: WriteApi;
  readonly #redis: RedisClient;
  readonly #keys: RedisKeys;
  readonly #options: SinkOptions;
  readonly #log: Logger;
  readonly #calls = new Set<Promise<void>>();
  #pending: { anomaly: Anomaly; webhooks: readonly string[] }[] = [];
  webhooksSent = 0;

  constructor(redis: RedisClient, keys: RedisKeys, options: SinkOptions, log: Logger) {
    this.#writer = new InfluxDB({ url: options.proxyUrl, timeout: 10_000, ...(options.token === '' ? {} : { token: options.token }) }).getWriteApi('', options.database, 'ms', {
      maxRetries: 5,
      flushInterval: 0,
      writeFailed: (err: Error) => {
        log.warn({ err: err.message }, 'writing anomalies failed');
      },
    });
    this.#redis = redis;
    this.#keys = keys;
    this.#options = options;
    this.#log = log;
  }

  /**
   * Records an anomaly; `alert`: outside the cooldown, so the webhooks are called. It is written out by
   * the next flush (one Redis round trip and one write for all the anomalies of a batch).
   */
  emit(anomaly: Anomaly, rule: Rule, alert: boolean): void {
    this.#writer.writePoint(
      new Point('anomaly')
        .tag('rule', anomaly.rule)
        .tag('series', anomaly.series)
        .tag('algorithm', anomaly.algorithm)
        .floatField('value', anomaly.value)
        .floatField('threshold', anomaly.threshold)
        .floatField('score', anomaly.score)
        .timestamp(anomaly.time),
    );
    this.#pending.push({ anomaly, webhooks: alert ? rule.webhooks : [] });
  }

  /** Writes the anomalies emitted since the last flush, then calls the webhooks of their alerts. */
  async flush(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    if (pending.length > 0) {
      const pipeline = this.#redis.pipeline();
      for (const { anomaly } of pending) pipeline.zadd(this.#keys.anomalies(), anomaly.time, JSON.stringify(anomaly));
      pipeline.zremrangebyrank(this.#keys.anomalies(), 0, -ANOMALIES_KEPT - 1);
      // Once per anomaly, whoever processes it (a batch may be processed again after a worker died).
      const alerts = pending.filter((p) => p.webhooks.length > 0);
      for (const { anomaly } of alerts) pipeline.set(this.#keys.anomalyAlerted(anomaly.rule, anomaly.series, anomaly.time), '1', 'EX', 86_400, 'NX');
      const replies = (await pipeline.exec()) ?? [];
      alerts.forEach(({ anomaly, webhooks }, i) => {
        if (replies[pending.length + 1 + i]?.[1] !== 'OK') return;
        for (const url of webhooks) {
          const call = this.#call(url, anomaly).finally(() => this.#calls.delete(call));
          this.#calls.add(call);
        }
      });
    }
    await this.#writer.flush().catch((err: Error) => this.#log.warn({ err: err.message }, 'flushing anomalies failed'));
  }

  async #call(url: string, anomaly: Anomaly): Promise<void> {
    const body = JSON.stringify({ ...anomaly, timeIso: new Date(anomaly.time).toISOString() });
    for (let attempt = 0; attempt <= this.#options.webhookRetries; attempt++) {
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(this.#options.webhookTimeout) });
        await response.arrayBuffer();
        if (response.status < 300) {
          this.webhooksSent++;
          return;
        }
        if (response.status < 500 && response.status !== 429) {
          this.#log.warn({ url, status: response.status }, 'webhook refused the alert; not retried');
          return;
        }
      } catch (err) {
        this.#log.debug({ url, err: (err as Error).message, attempt }, 'webhook call failed');
      }
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
    }
    this.#log.warn({ url, rule: anomaly.rule, series: anomaly.series }, 'webhook alert not delivered after retries');
  }

  async close(): Promise<void> {
    await this.flush();
    await Promise.all([...this.#calls]);
    await this.#writer.close().catch(() => undefined);
  }
}
