// Prometheus metrics of one proxy process (aggregated across processes by the supervisor). Counted per
// batch or per request, never per point; per-node children are resolved once.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { InfluxNode } from './node.js';

/** Why points or requests were refused; the `reason` label of the rejected counters. */
export type RejectReason =
  | 'parse'
  | 'line_too_long'
  | 'body_too_large'
  | 'body_unreadable'
  | 'timeout'
  | 'auth'
  | 'database_not_found'
  | 'retention_policy_not_found'
  | 'node_rejected'
  | 'unavailable'
  | 'replay_rejected';

export interface NodeMetrics {
  written: Counter.Internal;
  buffered: Counter.Internal;
  replayed: Counter.Internal;
  batchPoints: Histogram.Internal<never>;
}

export class Metrics {
  readonly registry = new Registry();
  readonly pointsReceived: Counter<'endpoint'>;
  readonly pointsWritten: Counter<'node'>;
  readonly pointsBuffered: Counter<'node'>;
  readonly pointsReplayed: Counter<'node'>;
  readonly pointsRejected: Counter<'reason'>;
  readonly requestsRejected: Counter<'reason'>;
  readonly requestDuration: Histogram<'endpoint' | 'status'>;
  readonly batchPoints: Histogram<'node'>;
  readonly replayLag: Gauge<'node'>;
  readonly replayBufferPoints: Gauge<'node'>;
  readonly replayBufferBytes: Gauge<'node'>;
  readonly nodeUp: Gauge<'node'>;
  readonly nodeInFlight: Gauge<'node'>;
  readonly redisErrors: Counter<'operation'>;
  readonly queriesRefused: Counter;
  readonly detectionQueued: Counter;
  readonly detectionSkipped: Counter<'reason'>;
  readonly #nodes = new Map<InfluxNode, NodeMetrics>();

  /** `nodes`: the current topology's nodes (they change while the proxy runs). */
  constructor(nodes: () => readonly InfluxNode[]) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'influxring_process_' });
    this.pointsReceived = new Counter({
      name: 'influxring_points_received_total',
      help: 'Valid points received from clients.',
      labelNames: ['endpoint'],
      registers,
    });
    this.pointsWritten = new Counter({
      name: 'influxring_points_written_total',
      help: 'Points a node accepted from live writes.',
      labelNames: ['node'],
      registers,
    });
    this.pointsBuffered = new Counter({
      name: 'influxring_points_buffered_total',
      help: "Points stored in a node's replay buffer.",
      labelNames: ['node'],
      registers,
    });
    this.pointsReplayed = new Counter({
      name: 'influxring_points_replayed_total',
      help: 'Points a node accepted from its replay buffer.',
      labelNames: ['node'],
      registers,
    });
    this.detectionQueued = new Counter({
      name: 'influxring_detection_points_queued_total',
      help: 'Points (lines of line protocol) handed to the detection queues, once per detection shard they feed.',
      registers,
    });
    this.detectionSkipped = new Counter({
      name: 'influxring_detection_points_skipped_total',
      help: 'Points (lines) a rule matched that detection skipped (once per detection shard they feed), by reason: backlog (maxPendingPoints reached) or redis (the queue did not take them). Writes are never delayed for them.',
      labelNames: ['reason'],
      registers,
    });
    this.pointsRejected = new Counter({
      name: 'influxring_points_rejected_total',
      help: 'Points refused, by reason (each refused point counted once per request).',
      labelNames: ['reason'],
      registers,
    });
    this.requestsRejected = new Counter({
      name: 'influxring_requests_rejected_total',
      help: 'Write requests answered with an error, by reason (bodies refused unread are counted here).',
      labelNames: ['reason'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'influxring_request_duration_seconds',
      help: 'Time from request to response.',
      labelNames: ['endpoint', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.batchPoints = new Histogram({
      name: 'influxring_batch_points',
      help: 'Points per batch sent to a node.',
      labelNames: ['node'],
      buckets: [1, 10, 50, 100, 500, 1000, 2500, 5000, 10000, 50000],
      registers,
    });
    this.replayLag = new Gauge({
      name: 'influxring_replay_lag_seconds',
      help: "Age of the oldest batch in a node's replay buffer (0 when empty).",
      labelNames: ['node'],
      registers,
      aggregator: 'max',
    });
    this.replayBufferPoints = new Gauge({
      name: 'influxring_replay_buffer_points',
      help: "Points in a node's replay buffer.",
      labelNames: ['node'],
      registers,
      aggregator: 'max',
    });
    this.replayBufferBytes = new Gauge({
      name: 'influxring_replay_buffer_bytes',
      help: "Bytes in a node's replay buffer.",
      labelNames: ['node'],
      registers,
      aggregator: 'max',
    });
    this.nodeUp = new Gauge({
      name: 'influxring_node_up',
      help: 'Whether the last health check of a node passed (1) or not (0).',
      labelNames: ['node'],
      registers,
      aggregator: 'min',
    });
    this.nodeInFlight = new Gauge({
      name: 'influxring_node_in_flight_batches',
      help: 'Batches in flight to a node.',
      labelNames: ['node'],
      registers,
      collect() {
        for (const node of nodes()) this.labels(node.name).set(node.inFlight);
      },
    });
    this.redisErrors = new Counter({
      name: 'influxring_redis_errors_total',
      help: 'Redis commands that failed, by operation.',
      labelNames: ['operation'],
      registers,
    });
    this.queriesRefused = new Counter({
      name: 'influxring_queries_refused_total',
      help: 'Queries refused because InfluxRing cannot answer them exactly (400 with the reason).',
      registers,
    });
  }

  /** The node's counters (made on first use: nodes join while the proxy runs). */
  node(node: InfluxNode): NodeMetrics {
    let children = this.#nodes.get(node);
    if (children === undefined) {
      children = {
        written: this.pointsWritten.labels(node.name),
        buffered: this.pointsBuffered.labels(node.name),
        replayed: this.pointsReplayed.labels(node.name),
        batchPoints: this.batchPoints.labels(node.name),
      };
      this.#nodes.set(node, children);
      this.nodeUp.labels(node.name).set(1);
      this.replayLag.labels(node.name).set(0);
      this.replayBufferPoints.labels(node.name).set(0);
      this.replayBufferBytes.labels(node.name).set(0);
    }
    return children;
  }

  /** Forgets a node that left the topology (its series disappear from /metrics). */
  forget(node: InfluxNode): void {
    this.#nodes.delete(node);
    for (const gauge of [this.nodeUp, this.replayLag, this.replayBufferPoints, this.replayBufferBytes, this.nodeInFlight]) gauge.remove(node.name);
  }

  /** Refreshes the per-node gauges from the node's state (after each health check). */
  observeNode(node: InfluxNode): void {
    this.nodeUp.labels(node.name).set(node.healthy ? 1 : 0);
    this.replayBufferPoints.labels(node.name).set(node.buffered.points);
    this.replayBufferBytes.labels(node.name).set(node.buffered.bytes);
    const oldest = node.buffered.oldestAt;
    this.replayLag.labels(node.name).set(oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
  }
}
