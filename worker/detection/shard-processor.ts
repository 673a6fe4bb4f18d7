// The points of one detection shard, processed by the worker that holds its lease: a BullMQ worker on
// the shard's queue, one batch at a time (so each curve's points are judged in the order they came),
// with the state of every curve in memory, restored from and saved to Redis (fenced by the lease's
// token: an owner that lost its lease cannot overwrite the new owner's state). The past windows of the
// rules that compare with past days are saved too (the rings that changed, a hash per rule), and taken
// back at the rule's first point here, so a shard that moves needs no query of the cluster.
import { Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { algorithmKey, type Rule } from '../../config/rule-schema.js';
import { batchSegments, type DetectionBatch } from '../../proxy/detection/detection-batch.js';
import { DETECTION_QUEUE } from '../../proxy/detection/detection-tap.js';
import type { RuleIndex } from '../../proxy/detection/rule-index.js';
import type { RedisClient } from '../../proxy/redis.js';
import type { RedisKeys } from '../../proxy/redis-keys.js';
import type { AnomalySink } from './anomaly-sink.js';
import type { HistoryLoader, SavedWindows } from './history-loader.js';
import { ringField, savedWindows, windowsPairs } from './saved-windows.js';
import type { DetectionPoint, PointReader } from './point-reader.js';
import { judgeWithHistory, newSeriesState, observe, type Judgement, type SeriesState } from './series-detector.js';

// SAVE — KEYS: lease, a hash of the shard. ARGV: token, "1" to empty the hash first (else "0"), then
// field/value pairs. Saves only under the lease.
const SAVE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '1' then redis.call('DEL', KEYS[2]) end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1`;

// DROP — KEYS: lease, a hash of the shard. ARGV: token, then fields (none: the whole hash). Only under the lease.
const DROP = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if #ARGV == 1 then redis.call('DEL', KEYS[2]) else redis.call('HDEL', KEYS[2], unpack(ARGV, 2)) end
return 1`;

interface SaveCommands {
  irxDetectSave(lease: string, hash: string, token: string, reset: '0' | '1', ...pairs: (string | Buffer)[]): Promise<number>;
  irxDetectDrop(lease: string, hash: string, token: string, ...fields: string[]): Promise<number>;
}

export interface ProcessorContext {
  readonly redis: RedisClient;
  /** A connection BullMQ may use (commands wait while Redis is away). */
  readonly connection: RedisClient;
  readonly keys: RedisKeys;
  /** The rules as an index, after looking up in Redis those of `names` not known yet. */
  readonly rules: (names: readonly string[]) => RuleIndex | Promise<RuleIndex>;
  /** Reads a batch's lines into points (shared by the worker's shards: a cache of series). */
  readonly reader: PointReader;
  /** The past windows of the curves whose rules compare with past days (shared by the worker's shards). */
  readonly history: HistoryLoader;
  readonly sink: AnomalySink;
  readonly checkpointInterval: number;
  /** A curve without a point for this long is forgotten (here, in Redis, and its past windows). */
  readonly idleCurveTtl: number;
  readonly log: Logger;
  /** Counts points by outcome: judged, not judged (a detector calibrating, or a curve whose past windows are not there yet), no such rule. */
  readonly counted: (outcome: 'judged' | 'unjudged' | 'no-rule', points: number) => void;
}

/** A curve state's field in the shard's state hash: "rule\nseries key". */
const stateField = (rule: string, curve: string): string => `${rule}\n${curve}`;

/** Field/value pairs saved per Lua call (a windows hash can take thousands of rings at once). */
const PAIRS_PER_SAVE = 2000;

export class ShardProcessor {
  readonly shard: number;
  readonly #token: string;
  readonly #ctx: ProcessorContext;
  /** Curve states by rule, then series key (no key to build per point; saved as "rule\nseries"). */
  readonly #states = new Map<string, Map<string, SeriesState>>();
  /** The states changed since the last save, with their rule and series key. */
  readonly #dirty = new Map<SeriesState, [string, string]>();
  #worker: Worker<DetectionBatch> | null = null;
  #restored = false;
  /**
   * Rules whose saved windows were looked for here (or saved from here), with the algorithm their hash
   * is known to hold (null: none known; a save for another algorithm, or with none known, empties it first).
   */
  readonly #windows = new Map<string, string | null>();
  /** Wall clock of the batch being judged (ms), and of the last sweep of idle curves. */
  #now = 0;
  #sweptAt = Date.now();
  #timer: NodeJS.Timeout | null = null;

  constructor(shard: number, token: string, ctx: ProcessorContext) {
    ctx.redis.defineCommand('irxDetectSave', { numberOfKeys: 2, lua: SAVE });
    ctx.redis.defineCommand('irxDetectDrop', { numberOfKeys: 2, lua: DROP });
    this.shard = shard;
    this.#token = token;
    this.#ctx = ctx;
  }

  /** Restores the saved states (and the past windows of their rules), then starts taking the shard's batches. */
  async start(): Promise<void> {
    const saved = await this.#ctx.redis.hgetall(this.#ctx.keys.detectionState(this.shard));
    for (const [field, json] of Object.entries(saved)) {
      const cut = field.indexOf('\n');
      this.#curves(field.slice(0, cut)).set(field.slice(cut + 1), JSON.parse(json) as SeriesState);
    }
    // Before the first batch, so that no load of another shard's takes this one's curves from the cluster first.
    const names = [...this.#states.keys()];
    if (names.length > 0) {
      const index = await this.#ctx.rules(names);
      for (const name of names) {
        const rule = index.rule(name);
        if (rule !== undefined && this.#ctx.history.planOf(rule) !== null) await this.#restoreWindows(rule);
      }
    }
    this.#restored = true;
    this.#worker = new Worker<DetectionBatch>(DETECTION_QUEUE, (job) => this.#process(job), {
      connection: this.#ctx.connection,
      prefix: this.#ctx.keys.detectionShardPrefix(this.shard),
      concurrency: 1,
    });
    this.#worker.on('error', (err) => this.#ctx.log.debug({ shard: this.shard, err: err.message }, 'detection worker error'));
    this.#timer = setInterval(() => void this.save(), this.#ctx.checkpointInterval);
    this.#timer.unref();
  }

  async #process(job: Job<DetectionBatch>): Promise<void> {
    this.#now = Date.now();
    const index = await this.#ctx.rules(job.data.rules);
    const payload = await this.#ctx.redis.getBuffer(job.data.payload);
    if (payload === null) {
      this.#ctx.log.warn({ shard: this.shard, batch: job.data.payload, segments: job.data.segments.length }, 'a detection batch\'s lines are gone from Redis (older than detection.batchTtl, or never stored): skipped');
      return;
    }
    const mine: DetectionPoint[] = [];
    for (const [db, precision, receivedAt, lines] of batchSegments(job.data, payload)) {
      this.#ctx.reader.read(index, db, precision, lines, receivedAt, (_, point) => mine.push(point), this.shard);
    }
    let judged = 0;
    for (const point of mine) {
      const rule = index.rule(point[0]);
      if (rule === undefined) {
        this.#ctx.counted('no-rule', 1);
        continue;
      }
      // A rule that compares with past days may need windows loaded from the cluster first, and a
      // streaming rule's curve without state starts from its last points there.
      for (let loading = this.#loading(rule, point); loading !== null; loading = this.#loading(rule, point)) await loading;
      if (this.#judge(rule, point)) judged++;
    }
    this.#ctx.counted('judged', judged);
    await this.#ctx.sink.flush();
    // Judged: the lines can go (left to their TTL when Redis is away; the job must not run twice).
    await this.#ctx.redis.del(job.data.payload).catch(() => undefined);
  }

  #loading(rule: Rule, [, curve, time]: DetectionPoint): Promise<void> | null {
    const plan = this.#ctx.history.planOf(rule);
    if (plan !== null) {
      if (!this.#windows.has(rule.name)) return this.#restoreWindows(rule);
      return this.#ctx.history.ensure(rule, Math.floor(time / plan.interval), this.shard);
    }
    return this.#states.get(rule.name)?.has(curve) === true ? null : this.#ctx.history.ensureRecent(rule, time);
  }

  /** Takes back the windows of `rule` the shard's last owner saved (those of another algorithm are deleted). */
  async #restoreWindows(rule: Rule): Promise<void> {
    const key = this.#ctx.keys.detectionWindows(this.shard, rule.name);
    let held: string | null = null;
    try {
      const saved = savedWindows(await this.#ctx.redis.hgetallBuffer(key));
      if (saved !== null && this.#ctx.history.restore(rule, this.shard, saved)) {
        held = saved.algorithm;
        this.#ctx.log.info({ shard: this.shard, rule: rule.name, curves: saved.curves.length }, 'past windows taken back from the last owner');
      } else if (saved !== null) await this.#drop(key, []);
    } catch (err) {
      this.#ctx.log.warn({ shard: this.shard, rule: rule.name, err: (err as Error).message }, 'cannot read the saved past windows; they are loaded from the cluster');
    }
    this.#windows.set(rule.name, held);
  }

  /**
   * A streaming rule's curve starts from its last points in the cluster (oldest first), unless it has
   * a state already; its stream's points before `since` (they were among them) are then skipped.
   * Ignored until the saved states are restored (a restored state wins).
   */
  startFrom(rule: Rule, curve: string, values: readonly number[], since: number): void {
    if (!this.#restored) return;
    const curves = this.#curves(rule.name);
    if (curves.get(curve)?.algorithm === algorithmKey(rule)) return;
    const state = newSeriesState(rule);
    for (const value of values) observe(state, rule, value);
    state.since = since;
    curves.set(curve, state);
    this.#dirty.set(state, [rule.name, curve]);
  }

  /** Judges one point of one curve of `rule`; false when it could not be (calibrating, or windows missing). */
  #judge(rule: Rule, [ruleName, curve, time, value]: DetectionPoint): boolean {
    const curves = this.#curves(ruleName);
    let state = curves.get(curve);
    if (state === undefined || state.algorithm !== algorithmKey(rule)) {
      state = newSeriesState(rule);
      curves.set(curve, state);
    }
    if (state.since !== undefined && time < state.since) {
      // Already among the points the curve started from.
      this.#ctx.counted('unjudged', 1);
      return false;
    }
    const plan = this.#ctx.history.planOf(rule);
    let judgement: Judgement | null;
    if (plan === null) judgement = observe(state, rule, value);
    else {
      const bucket = Math.floor(time / plan.interval);
      const history = this.#ctx.history.curve(rule, curve, this.shard);
      history.seenAt = this.#now;
      history.today.set(bucket, value);
      const windows = history.read(bucket);
      judgement = windows === null ? null : judgeWithHistory(rule, windows);
    }
    state.seenAt = this.#now;
    if (!this.#dirty.has(state)) this.#dirty.set(state, [ruleName, curve]);
    if (judgement === null) {
      this.#ctx.counted('unjudged', 1);
      return false;
    }
    if (judgement.anomalous) {
      const alert = time - state.lastAlertAt >= rule.cooldown;
      if (alert) state.lastAlertAt = time;
      this.#ctx.sink.emit({ rule: ruleName, series: curve, algorithm: rule.algorithm.type, time, value, threshold: judgement.threshold, score: judgement.score }, rule, alert);
    }
    return true;
  }

  /** Forgets the states and saved windows of the rules not in `live`, here and in Redis. */
  async forgetRulesExcept(live: ReadonlySet<string>): Promise<void> {
    const gone = new Set([...this.#states.keys(), ...this.#windows.keys()].filter((rule) => !live.has(rule)));
    await this.#forget((rule) => gone.has(rule));
    for (const rule of gone) {
      this.#windows.delete(rule);
      await this.#drop(this.#ctx.keys.detectionWindows(this.shard, rule), []);
    }
  }

  /** Forgets the curves `which` names, here and in Redis; returns how many. */
  async #forget(which: (rule: string, state: SeriesState) => boolean): Promise<number> {
    const fields: string[] = [];
    for (const [rule, curves] of this.#states) {
      for (const [curve, state] of curves) {
        if (!which(rule, state)) continue;
        curves.delete(curve);
        this.#dirty.delete(state);
        fields.push(stateField(rule, curve));
      }
      if (curves.size === 0) this.#states.delete(rule);
    }
    if (fields.length > 0) await this.#drop(this.#ctx.keys.detectionState(this.shard), fields);
    return fields.length;
  }

  #curves(rule: string): Map<string, SeriesState> {
    let curves = this.#states.get(rule);
    if (curves === undefined) {
      curves = new Map();
      this.#states.set(rule, curves);
    }
    return curves;
  }

  /** Forgets the curves that got no point for `idleCurveTtl`: here, in Redis, and their past windows. */
  async #sweepIdle(now: number): Promise<void> {
    this.#sweptAt = now;
    const rings = new Map<string, string[]>();
    for (const [rule, curve, count] of this.#ctx.history.forgetIdle(this.shard, now - this.#ctx.idleCurveTtl)) {
      const fields = rings.get(rule) ?? [];
      for (let ring = 0; ring < count; ring++) fields.push(ringField(ring, curve));
      rings.set(rule, fields);
    }
    for (const [rule, fields] of rings) await this.#drop(this.#ctx.keys.detectionWindows(this.shard, rule), fields);
    // (A state restored from a checkpoint written before curves had a last-seen time counts from now.)
    const forgotten = await this.#forget((_, state) => now - (state.seenAt ??= now) >= this.#ctx.idleCurveTtl);
    if (forgotten > 0) this.#ctx.log.info({ shard: this.shard, curves: forgotten }, 'idle curves forgotten');
  }

  /** Saves the states changed since the last save (only while this worker holds the lease); forgets idle curves now and then. */
  async save(): Promise<boolean> {
    const now = Date.now();
    if (now - this.#sweptAt >= Math.min(this.#ctx.idleCurveTtl / 2, 60_000)) await this.#sweepIdle(now);
    // What is taken to be saved is marked unchanged now (it may change while the save is under way);
    // what a failed save leaves is marked changed again, for the next checkpoint.
    let saved = 1;
    if (this.#dirty.size > 0) {
      const taken = [...this.#dirty];
      this.#dirty.clear();
      saved = await this.#save(this.#ctx.keys.detectionState(this.shard), taken.flatMap(([state, [rule, curve]]) => [stateField(rule, curve), JSON.stringify(state)]), false);
      if (saved !== 1) for (const [state, names] of taken) if (this.#states.get(names[0])?.get(names[1]) === state && !this.#dirty.has(state)) this.#dirty.set(state, names);
    }
    for (const [rule, windows] of this.#ctx.history.changed(this.shard)) {
      if (saved === 1) saved = await this.#saveWindows(rule, windows);
      if (saved !== 1) this.#ctx.history.unsaved(this.shard, rule, windows);
    }
    if (saved !== 1) this.#ctx.log.warn({ shard: this.shard, saved }, 'detection state not saved (lease lost or Redis away)');
    return saved === 1;
  }

  /** Saves a rule's changed windows in parts; a hash that may hold another algorithm's rings is emptied by the first (in its script). */
  async #saveWindows(rule: string, windows: SavedWindows): Promise<number> {
    const key = this.#ctx.keys.detectionWindows(this.shard, rule);
    const reset = this.#windows.get(rule) !== windows.algorithm;
    const pairs = windowsPairs(windows);
    let saved = 1;
    for (let at = 0; at < pairs.length && saved === 1; at += 2 * PAIRS_PER_SAVE) saved = await this.#save(key, pairs.slice(at, at + 2 * PAIRS_PER_SAVE), reset && at === 0);
    if (saved === 1) this.#windows.set(rule, windows.algorithm);
    return saved;
  }

  /** Sets field/value `pairs` in hash `key` (emptied first when `reset`) if this worker still holds the lease: 1 saved, 0 lease lost, −1 Redis away. */
  async #save(key: string, pairs: (string | Buffer)[], reset: boolean): Promise<number> {
    const redis = this.#ctx.redis as RedisClient & SaveCommands;
    return redis.irxDetectSave(this.#ctx.keys.detectionLease(this.shard), key, this.#token, reset ? '1' : '0', ...pairs).catch(() => -1);
  }

  /** Deletes `fields` of hash `key` (none: the hash) if this worker still holds the lease. */
  async #drop(key: string, fields: string[]): Promise<void> {
    const redis = this.#ctx.redis as RedisClient & SaveCommands;
    const lease = this.#ctx.keys.detectionLease(this.shard);
    if (fields.length === 0) await redis.irxDetectDrop(lease, key, this.#token).catch(() => 0);
    // (Lua's unpack takes a few thousand values at most.)
    for (let at = 0; at < fields.length; at += PAIRS_PER_SAVE) await redis.irxDetectDrop(lease, key, this.#token, ...fields.slice(at, at + PAIRS_PER_SAVE)).catch(() => 0);
  }

  /** Stops taking batches (the one in progress finishes), saves, forgets the states. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    await this.#worker?.close();
    await this.save();
    this.#states.clear();
  }
}
