// Every Redis key InfluxRing uses is built here and nowhere else. Keys of one node share the hash
// tag `{node:<name>}`, so a Lua script touching them works on Redis Cluster too.

export class RedisKeys {
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  #node(node: string, what: string): string {
    return `${this.#prefix}:{node:${node}}:${what}`;
  }

  /** List of buffered batches (encoded entries), oldest first. */
  replayEntries(node: string): string {
    return this.#node(node, 'replay');
  }

  /** List of enqueue times (ms), parallel to replayEntries, so the oldest age is cheap to read. */
  replayTimes(node: string): string {
    return this.#node(node, 'replay-times');
  }

  /** Hash with the buffer's `bytes` and `points` totals. */
  replayTotals(node: string): string {
    return this.#node(node, 'replay-totals');
  }

  /**
   * `buffering` while the node's writes must go to its buffer (set by a push, in the same script);
   * `draining` while the replayer sends the last entries; absent when writes go live (removed by the
   * replayer, atomically with finding the buffer empty).
   */
  replayState(node: string): string {
    return this.#node(node, 'replay-state');
  }

  /** Lease of the one process that replays the node's buffer (value: the holder's token). */
  replayLock(node: string): string {
    return this.#node(node, 'replay-lock');
  }

  /** The catalog: DDL statements (databases, retention policies) in the order they were applied. */
  catalogLog(): string {
    return `${this.#prefix}:{catalog}:log`;
  }

  /** Hash node → how many catalog statements the node has applied. */
  catalogApplied(): string {
    return `${this.#prefix}:{catalog}:applied`;
  }

  /** Lease of the one process bringing a node up to date with the catalog. */
  catalogLease(node: string): string {
    return `${this.#prefix}:{catalog}:lease:${node}`;
  }

  /** The topology (JSON of a TopologyDescription); its version grows with every change. */
  topology(): string {
    return `${this.#prefix}:{topology}:current`;
  }

  /** Channel announcing a new topology version (the message is the version). */
  topologyChanged(): string {
    return `${this.#prefix}:{topology}:changed`;
  }

  /** Hash proxy process id → JSON {version, at}: the oldest topology version it still uses, and when it said so. */
  topologyProxies(): string {
    return `${this.#prefix}:{topology}:proxies`;
  }

  /** Lock of the one operation changing a circle (value: its fencing token). */
  circleLock(circle: string): string {
    return `${this.#prefix}:{topology}:lock:${circle}`;
  }

  /** Counter handing out fencing tokens. */
  fence(): string {
    return `${this.#prefix}:{topology}:fence`;
  }

  /** Set when an operator asks a running job to stop. */
  jobCancel(jobId: string): string {
    return `${this.#prefix}:{topology}:cancel:${jobId}`;
  }

  /** BullMQ prefix of the admin jobs queue (a hash tag: one slot on Redis Cluster). */
  jobsPrefix(): string {
    return `${this.#prefix}:{jobs}`;
  }

  /** Hash rule name → JSON of a detection rule. */
  rules(): string {
    return `${this.#prefix}:{rules}:all`;
  }

  /** Set once the configuration file's rules have seeded the hash. */
  rulesSeeded(): string {
    return `${this.#prefix}:{rules}:seeded`;
  }

  /** Counter raised by every change of the rules (followers compare it before reading them all). */
  rulesVersion(): string {
    return `${this.#prefix}:{rules}:version`;
  }

  /** Channel announcing a change of the rules (the message is the rule's name). */
  rulesChanged(): string {
    return `${this.#prefix}:{rules}:changed`;
  }

  /** BullMQ prefix of a detection shard's queue: each shard's keys share one slot. */
  detectionShardPrefix(shard: number): string {
    return `${this.#prefix}:{detect:${shard}}`;
  }

  /** Lease of the worker that owns a shard (value: its fencing token). */
  detectionLease(shard: number): string {
    return `${this.#prefix}:{detect:${shard}}:lease`;
  }

  /** The lines of one queued detection batch (bytes; the job names this key), in its shard's slot. */
  detectionBatch(shard: number, id: string): string {
    return `${this.#prefix}:{detect:${shard}}:batch:${id}`;
  }

  /** Hash series key → JSON of its detector state, saved by the shard's owner. */
  detectionState(shard: number): string {
    return `${this.#prefix}:{detect:${shard}}:state`;
  }

  /** Hash of a shard's saved past windows of one rule ("": what was loaded, as JSON; "ring\nseries key": a ring's bytes). */
  detectionWindows(shard: number, rule: string): string {
    return `${this.#prefix}:{detect:${shard}}:windows:${rule}`;
  }

  /** Hash worker id → last heartbeat (ms), for sharing the shards among the live workers. */
  detectionWorkers(): string {
    return `${this.#prefix}:{detect}:workers`;
  }

  /** Counter handing out the fencing tokens of shard leases. */
  detectionFence(): string {
    return `${this.#prefix}:{detect}:fence`;
  }

  /** Sorted set of anomalies (score: time in ms; member: JSON), newest kept. */
  anomalies(): string {
    return `${this.#prefix}:{detect}:anomalies`;
  }

  /** Set (with an expiry) once an anomaly's alert went out, so it goes out once. */
  anomalyAlerted(rule: string, series: string, time: number): string {
    return `${this.#prefix}:{detect}:alerted:${rule}|${series}|${time}`;
  }
}
