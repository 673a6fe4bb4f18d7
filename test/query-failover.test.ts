// Reads while nodes fail, on 2 circles × 2 nodes: a read goes to one circle whose needed nodes are all
// active, and to the next circle when a node fails under it. Concurrent readers compare every answer
// with the full answer while a node is stopped or killed under them, while a returning node replays
// its buffer (it serves no reads until it is done), and when no circle holds a measurement completely
// (then the statement gets an error, never a partial answer). Also the single cases the readers hit by
// chance: a node stopped while it runs a statement (influxd answers "query engine shutdown"), killed
// while it streams a chunked answer, or dead before the proxy's health check has noticed.
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestCluster } from './helpers/cluster.js';
import { count, post } from './helpers/influx.js';
import { faultTest, nodeHealth, ownerIn, proxyHealth, waitActive, waitUntil } from './helpers/load.js';

/** A node frozen with SIGSTOP, thawed in cleanup whatever happens. */
let frozen: number | null = null;

const t = faultTest({
  first() {
    if (frozen !== null) process.kill(frozen, 'SIGCONT');
    frozen = null;
  },
});

/** The readers of the current test, stopped after it (before faultTest's cleanup stops the cluster). */
let current: Readers | null = null;
afterEach(async () => {
  await current?.stop();
  current = null;
});

/** Owners (circle A / circle B), checked by `expectOwners`: qf1 a1/b1, qf2 a1/b2, qf0 a2/b2, qf4 a2/b1. */
const OWNERS: Record<string, [string, string]> = { qf1: ['a1', 'b1'], qf2: ['a1', 'b2'], qf0: ['a2', 'b2'], qf4: ['a2', 'b1'] };
const MEASUREMENTS = Object.keys(OWNERS);
const HOSTS = ['h0', 'h1', 'h2'];
const T0 = 1_700_000_000_000;
/** A read not answered within this is a failure (an answer that never ends, not a slow one). */
const READ_TIMEOUT_MS = 15_000;

function expectOwners(c: TestCluster): void {
  for (const [m, [a, b]] of Object.entries(OWNERS)) {
    expect([ownerIn(c.nodes[0] ?? [], 'demo', m).name, ownerIn(c.nodes[1] ?? [], 'demo', m).name], m).toEqual([a, b]);
  }
}

/** Writes `points` points per host to each of `measurements` through the proxy, from point `from` on. */
async function writeData(c: TestCluster, measurements: readonly string[], points: number, from = 0): Promise<void> {
  const perRequest = 5000;
  const lines: string[] = [];
  for (const m of measurements) {
    for (const [h, host] of HOSTS.entries()) {
      for (let i = from; i < from + points; i++) lines.push(`${m},host=${host} v=${i % 97}i,h=${h}i ${T0 + i * 1000}`);
    }
  }
  for (let at = 0; at < lines.length; at += perRequest) {
    const answer = await post(c.url, '/write?db=demo&precision=ms', lines.slice(at, at + perRequest).join('\n'));
    expect(answer.status, answer.body).toBe(204);
  }
}

interface Failure {
  q: string;
  status: number;
  body: string;
}

/**
 * Readers loop over `queries` through the proxy and compare each answer (status and body, byte for
 * byte) with the expected one; every difference is a failure.
 */
class Readers {
  reads = 0;
  readonly failures: Failure[] = [];
  readonly #url: string;
  readonly #expected: Map<string, string>;
  #stopped = false;
  readonly #running: Promise<void>[] = [];

  constructor(url: string, expected: Map<string, string>) {
    this.#url = url;
    this.#expected = expected;
  }

  start(readers: number): this {
    current = this;
    for (let r = 0; r < readers; r++) this.#running.push(this.#loop(r));
    return this;
  }

  async #loop(offset: number): Promise<void> {
    const queries = [...this.#expected.keys()];
    for (let i = offset; !this.#stopped; i++) {
      const q = queries[i % queries.length] as string;
      let failure: Failure | null = null;
      try {
        // Half the readers take gzip (fetch's default, as browsers and Grafana), half plain answers.
        const response = await fetch(`${this.#url}/query`, {
          method: 'POST',
          body: new URLSearchParams({ db: 'demo', q, epoch: 'ms' }),
          headers: offset % 2 === 0 ? {} : { 'accept-encoding': 'identity' },
          signal: AbortSignal.timeout(READ_TIMEOUT_MS),
        });
        const body = await response.text();
        if (response.status !== 200 || body !== this.#expected.get(q)) failure = { q, status: response.status, body: body.slice(0, 300) };
      } catch (err) {
        failure = { q, status: 0, body: `request failed (${offset % 2 === 0 ? 'gzip' : 'identity'}): ${(err as Error).message}${(err as Error).cause ? ` (${String((err as Error).cause)})` : ''}` };
      }
      if (failure !== null) this.failures.push(failure);
      this.reads++;
    }
  }

  /** Waits for `n` more reads. */
  async progress(n: number, timeoutMs = 30_000): Promise<void> {
    const target = this.reads + n;
    await waitUntil(`${n} more reads`, () => this.reads >= target, timeoutMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#running);
  }

  /** Soft: the test goes on (and the later phases are checked too); it fails at the end. */
  expectNoFailures(label: string): void {
    const kinds = new Map<string, number>();
    for (const f of this.failures) {
      const kind = `${f.q} → ${f.status} ${f.body.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:…').slice(0, 160)}`;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    const sample = [...kinds].map(([kind, n]) => `${n}× ${kind}`);
    expect.soft(this.failures.length, `${label}: ${this.failures.length} of ${this.reads} reads differ from the full answer:\n${sample.join('\n')}`).toBe(0);
    this.failures.length = 0;
  }
}

/** Which of `names` is running a query whose text contains `marker` (SHOW QUERIES on each node directly), or ''. */
async function runningOn(c: TestCluster, names: readonly string[], marker: string): Promise<string> {
  for (const name of names) {
    const running = await fetch(`${c.node(name).url}/query`, { method: 'POST', body: new URLSearchParams({ q: 'SHOW QUERIES' }) }).then((r) => r.text());
    if (running.includes(marker)) return name;
  }
  return '';
}

/** One POST /query through the proxy: status and body. */
async function ask(url: string, q: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ db: 'demo', q, epoch: 'ms' }), signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
  return { status: response.status, body: await response.text() };
}

/**
 * The queries the readers send, with their full answers read through the proxy while every node is
 * up, after checking the counts against the nodes directly.
 */
async function expectedAnswers(c: TestCluster, queries: readonly string[], perMeasurement: number, circles = [0, 1]): Promise<Map<string, string>> {
  for (const circle of circles.map((i) => c.nodes[i] ?? [])) {
    for (const m of MEASUREMENTS) {
      const owner = ownerIn(circle, 'demo', m);
      expect(await count(owner.url, 'demo', m), `${m} on ${owner.name}`).toBe(perMeasurement);
    }
  }
  const expected = new Map<string, string>();
  for (const q of queries) {
    const answer = await ask(c.url, q);
    expect(answer.status, `${q}: ${answer.body}`).toBe(200);
    expect(answer.body, q).not.toContain('"error"');
    expected.set(q, answer.body);
  }
  return expected;
}

/** Queries of the measurements owned by a1 in circle A (qf1, qf2), and statements spanning every node. */
function queries(perHost: number): string[] {
  return [
    `SELECT count("v") FROM qf1`,
    `SELECT * FROM qf2 WHERE host = 'h1'`,
    `SELECT sum("v"), count("h") FROM qf1, qf0 GROUP BY "host"`,
    `SELECT count("v") FROM /qf.*/`,
    `SHOW MEASUREMENTS`,
    `SHOW TAG VALUES WITH KEY = "host"`,
    `SHOW TAG VALUES FROM qf2 WITH KEY = "host"`,
    `SELECT count("v") FROM qf2; SELECT last("v") FROM qf4`,
    `SELECT max("v") FROM qf1 WHERE time >= ${T0 + (perHost - 10) * 1000}ms AND time < ${T0 + perHost * 1000}ms GROUP BY time(1s), "host" LIMIT 5`,
    `SHOW SERIES FROM qf1`,
    // a longer answer (12,000 rows), from a1 alone in circle A: in flight when a1 stops
    `SELECT mean("v") FROM qf1, qf2 WHERE time >= ${T0}ms AND time < ${T0 + perHost * 1000}ms GROUP BY time(1s), "host"`,
  ];
}

describe('reads while a node fails', () => {
  for (const fault of ['stop', 'kill'] as const) {
    it(`a node ${fault === 'stop' ? 'stopped (SIGTERM)' : 'killed (SIGKILL)'} under concurrent readers: every answer is complete, reads move to the other circle, and come back`, async () => {
      const c = await t.startCluster({ circles: [2, 2] });
      expectOwners(c);
      const perHost = 2000;
      await writeData(c, MEASUREMENTS, perHost);
      const expected = await expectedAnswers(c, queries(perHost), perHost * HOSTS.length);
      const victim = c.node('a1');

      const readers = new Readers(c.url, expected).start(6);
      await readers.progress(60);
      await victim[fault]();
      await waitUntil('a1 down in /health', async () => !(await nodeHealth(c.url, 'a1')).healthy, 10_000);
      // With a1 down, qf1 and qf2 and every fan-out can only be answered by circle B.
      await readers.progress(200, 60_000);
      const duringOutage = readers.reads;
      readers.expectNoFailures(`while a1 is down (${fault})`);

      await victim.restart();
      await waitActive(c.url, 'a1');
      await readers.progress(100);
      await readers.stop();
      console.log(`readers (${fault} a1): ${readers.reads} reads, ${readers.reads - duringOutage} after the outage`);
      readers.expectNoFailures(`a1 ${fault}, returned`);

      // a1 is used again: with circle B gone, circle A (a1 included) answers everything.
      await Promise.all([c.node('b1').stop(), c.node('b2').stop()]);
      for (const [q, body] of expected) expect(await ask(c.url, q), q).toEqual({ status: 200, body });
      await waitUntil('b1 and b2 down in /health', async () => {
        const health = await proxyHealth(c.url);
        return health.circles[1]?.nodes.every((n) => !n.healthy) ?? false;
      }, 10_000);
      for (const [q, body] of expected) expect(await ask(c.url, q), q).toEqual({ status: 200, body });
    });
  }

  it('a node stopped while it runs a statement: the answer comes from the other circle, not influxd\'s "query engine shutdown"', async () => {
    const c = await t.startCluster({ circles: [2, 2] });
    expectOwners(c);
    await writeData(c, ['qf1'], 100);
    // A statement that keeps its node busy for a while: 1-second buckets over 100 days (a subquery of
    // one measurement, answered by its owner alone).
    const days = 100;
    const q = `SELECT count("max") FROM (SELECT max("v") FROM qf1 WHERE time >= ${T0}ms AND time < ${T0 + days * 86_400_000}ms GROUP BY time(1s) fill(0))`;
    const pending = fetch(`${c.url}/query`, { method: 'POST', body: new URLSearchParams({ db: 'demo', q }) }).then(async (r) => ({ status: r.status, body: await r.text() }));
    // Whichever owner of qf1 runs it (circle A's a1 or circle B's b1) is stopped while it does.
    let runner = '';
    await waitUntil('the statement running on a1 or b1', async () => {
      runner = await runningOn(c, ['a1', 'b1'], 'GROUP BY time(1s) fill(0)');
      return runner !== '';
    }, 20_000);
    await c.node(runner).stop();
    const answer = await pending;
    expect(answer.status, answer.body).toBe(200);
    expect(JSON.parse(answer.body), `stopped ${runner} while it ran the statement`).toEqual({
      results: [{ statement_id: 0, series: [{ name: 'qf1', columns: ['time', 'count'], values: [['1970-01-01T00:00:00Z', days * 86_400]] }] }],
    });
  });

  it('a node killed while it streams a chunked answer: the client sees the answer break off (an error), never a hang or a clean end', async () => {
    const c = await t.startCluster({ circles: [2, 2] });
    expectOwners(c);
    await writeData(c, ['qf1'], 100);
    // 1-second buckets over 100 days, in chunks of 1000 rows: influxd streams them for seconds.
    const q = `SELECT max("v") FROM qf1 WHERE time >= ${T0}ms AND time < ${T0 + 100 * 86_400_000}ms GROUP BY time(1s) fill(0)`;
    const response = await request(`${c.url}/query?${new URLSearchParams({ db: 'demo', q, chunked: 'true', chunk_size: '1000' }).toString()}`);
    expect(response.statusCode).toBe(200);
    const chunks = response.body[Symbol.asyncIterator]();
    const first = await chunks.next();
    expect(first.done).toBe(false);
    const runner = await runningOn(c, ['a1', 'b1'], 'GROUP BY time(1s) fill(0)');
    expect(runner, 'a1 or b1 streams the answer').not.toBe('');
    await c.node(runner).kill();
    // Read on until the answer ends, breaks off, or nothing comes for a long while (a hang).
    let tail = '';
    const outcome = await (async (): Promise<string> => {
      for (;;) {
        let timer: NodeJS.Timeout | undefined;
        const idle = new Promise<'idle'>((resolve) => {
          timer = setTimeout(() => resolve('idle'), READ_TIMEOUT_MS);
        });
        try {
          const next = await Promise.race([chunks.next(), idle]);
          if (next === 'idle') return 'hang: no byte and no end for 15 s';
          if (next.done) return 'ended';
          tail = (tail + Buffer.from(next.value as Buffer).toString('utf8')).slice(-2000);
        } catch (err) {
          return `broke off: ${(err as Error).message}`;
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    response.body.destroy();
    // A clean end is acceptable only with influxd's way of saying the answer is incomplete: an error in the last chunk.
    const lastLine = tail.trimEnd().split('\n').pop() ?? '';
    expect(outcome === 'ended' ? (lastLine.includes('"error"') ? 'ended with an error' : `ended cleanly: ${lastLine.slice(0, 200)}`) : outcome, `killed ${runner} mid-answer`).toMatch(
      /^(broke off|ended with an error)/,
    );
  });

  it('right after a node died, before its health check: reads fail over, and a query of several statements is answered (its syntax check asked the dead node: 500 ECONNREFUSED)', async () => {
    // No health check after the first: the proxy does not learn that a1 is gone.
    const c = await t.startCluster({ circles: [2, 2], config: { health: { interval: '1h' } } });
    expectOwners(c);
    await writeData(c, MEASUREMENTS, 100);
    await c.node('a1').kill();
    expect((await nodeHealth(c.url, 'a1')).healthy, 'a1 is still believed healthy').toBe(true);
    const expectCount = async (q: string, counts: number[]): Promise<void> => {
      // soft: every case is tried and reported
      const answer = await ask(c.url, q);
      expect.soft(answer.status, `${q} → ${answer.body}`).toBe(200);
      if (answer.status !== 200) return;
      const body = JSON.parse(answer.body) as { results: { series?: { values: number[][] }[]; error?: string }[] };
      expect.soft(body.results.map((r) => r.error ?? r.series?.[0]?.values[0]?.[1]), q).toEqual(counts);
    };
    // One statement: a1 fails under it, circle B answers.
    await expectCount('SELECT count("v") FROM qf1', [300]);
    await expectCount('SELECT count("v") FROM /qf.*/', [300]);
    // Several statements, none of them needing a1.
    await expectCount('SELECT count("v") FROM qf0; SELECT count("v") FROM qf4', [300, 300]);
    // Several statements, one of them needing a1 in circle A.
    await expectCount('SELECT count("v") FROM qf1; SELECT count("v") FROM qf2', [300, 300]);
  });

  it('a node replaying its buffer serves no reads: every answer during the replay is complete', async () => {
    // Small replay batches: the replay of ~150k points takes a while.
    const c = await t.startCluster({ circles: [2, 2], config: { replay: { batchLines: 50, retryDelay: 100 } } });
    expectOwners(c);
    const before = 1000;
    await writeData(c, MEASUREMENTS, before);
    const victim = c.node('a1');
    await victim.stop();
    await waitUntil('a1 down in /health', async () => !(await nodeHealth(c.url, 'a1')).healthy, 10_000);
    // Buffered for a1 (the owner of qf1 and qf2 in circle A): 2 × 3 × 25,000 points.
    const more = 25_000;
    await writeData(c, ['qf1', 'qf2'], more, before);
    await writeData(c, ['qf0', 'qf4'], more, before);
    await waitUntil('the points of qf1 and qf2 buffered for a1', async () => {
      const n = await nodeHealth(c.url, 'a1');
      return n.buffering && n.buffered.points === 2 * HOSTS.length * more;
    }, 10_000, async () => JSON.stringify(await nodeHealth(c.url, 'a1')));
    // The full answers, from circle B (a1 lacks the buffered points).
    const expected = await expectedAnswers(c, queries(before + more), (before + more) * HOSTS.length, [1]);

    const readers = new Readers(c.url, expected).start(4);
    await readers.progress(40);
    await victim.restart();
    // Watch /health until a1 is active again; the readers go on all the while. Reads completed between
    // the first sight of a1 healthy but not active (replaying) and its first sight active ran during the replay.
    let replayingSeen = 0;
    let readsAtReplayStart: number | null = null;
    await waitUntil(
      'a1 active after its replay',
      async () => {
        const n = await nodeHealth(c.url, 'a1');
        if (n.healthy && !n.active && (n.replaying || n.buffering)) {
          replayingSeen++;
          readsAtReplayStart ??= readers.reads;
        }
        return n.active;
      },
      60_000,
      async () => JSON.stringify(await nodeHealth(c.url, 'a1')),
      20,
    );
    const readsWhileReplaying = readers.reads - (readsAtReplayStart ?? readers.reads);
    await readers.progress(40);
    await readers.stop();
    console.log(`replay: seen replaying ${replayingSeen} times, ${readsWhileReplaying} reads during the replay, ${readers.reads} reads in all`);
    expect(replayingSeen, 'a1 was seen healthy and replaying').toBeGreaterThan(0);
    expect(readsWhileReplaying).toBeGreaterThan(0);
    readers.expectNoFailures('during the replay');
    // a1 now holds everything
    expect(await count(victim.url, 'demo', 'qf1')).toBe((before + more) * HOSTS.length);
    expect(await count(victim.url, 'demo', 'qf2')).toBe((before + more) * HOSTS.length);
  });

  it('a frozen node (SIGSTOP: connections open, no answers): a read sent to it times out and the next circle answers it in full', async () => {
    const c = await t.startCluster({ circles: [2, 2], config: { query: { timeout: '1s' } } });
    expectOwners(c);
    await writeData(c, MEASUREMENTS, 100);
    const full = await ask(c.url, 'SELECT count("v") FROM qf1');
    expect(full.status).toBe(200);
    // a1 (qf1 in circle A) freezes; reads start at once, before its health check can notice. The
    // proxy spreads concurrent reads over both circles, so some are sent to a1.
    frozen = c.node('a1').process.child.pid as number;
    process.kill(frozen, 'SIGSTOP');
    const reads = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const started = performance.now();
        const answer = await ask(c.url, 'SELECT count("v") FROM qf1');
        return { answer, ms: performance.now() - started };
      }),
    );
    for (const read of reads) expect(read.answer).toEqual(full);
    const timedOut = reads.filter((r) => r.ms >= 1000).length;
    console.log(`frozen node: ${timedOut} of ${reads.length} reads waited out query.timeout, then were answered by circle B`);
    expect(timedOut).toBeGreaterThan(0);
  });

  it('a write-only node takes writes but serves no reads: its measurements are read from the other circle', async () => {
    const c = await t.startCluster({ circles: [2, 2], writeOnly: ['a1'] });
    expectOwners(c);
    await writeData(c, MEASUREMENTS, 100);
    const health = await proxyHealth(c.url);
    const a1 = health.circles.flatMap((circle) => circle.nodes).find((n) => n.name === 'a1');
    expect(a1).toMatchObject({ healthy: true, writeOnly: true, active: false });
    // Writes reach it like any node.
    for (const m of ['qf1', 'qf2']) expect(await count(c.node('a1').url, 'demo', m), m).toBe(100 * HOSTS.length);
    // Reads are answered in full, from circle B.
    for (const m of MEASUREMENTS) {
      const answer = JSON.parse((await ask(c.url, `SELECT count("v") FROM ${m}`)).body) as { results: { series: { values: number[][] }[] }[] };
      expect(answer.results[0]?.series[0]?.values[0]?.[1], m).toBe(300);
    }
    const shows = JSON.parse((await ask(c.url, 'SHOW MEASUREMENTS')).body) as { results: { series: { values: string[][] }[] }[] };
    expect(shows.results[0]?.series[0]?.values.flat()).toEqual([...MEASUREMENTS].sort());
    // With b1 gone, qf1 has no readable copy: an error that names both reasons, not a read from a1.
    await c.node('b1').kill();
    await waitUntil('b1 down in /health', async () => !(await nodeHealth(c.url, 'b1')).healthy, 10_000);
    const answer = JSON.parse((await ask(c.url, 'SELECT count("v") FROM qf1')).body) as { results: { series?: unknown; error?: string }[] };
    expect(answer.results[0]?.series).toBeUndefined();
    expect(answer.results[0]?.error).toMatch(/^no circle can answer this statement now: .*a1 \(circle-a\) is write-only.*b1 \(circle-b\) is down/);
  });

  it('when no circle holds a measurement completely, its statements get an error, never a partial answer', async () => {
    const c = await t.startCluster({ circles: [2, 2] });
    expectOwners(c);
    await writeData(c, MEASUREMENTS, 100);
    const ok = await ask(c.url, 'SELECT count("v") FROM qf0');
    expect(ok.status).toBe(200);
    const fanOut = ['SHOW MEASUREMENTS', 'SELECT count("v") FROM /qf.*/', 'SELECT count("v") FROM qf1, qf0', 'SHOW TAG VALUES WITH KEY = "host"'];

    // Both owners of qf1 killed at once: the proxy has not noticed yet, the reads fail over and fail.
    await Promise.all([c.node('a1').kill(), c.node('b1').kill()]);
    const expectRefused = async (q: string, when: string): Promise<string> => {
      const answer = await ask(c.url, q);
      const body = JSON.parse(answer.body) as { results?: { series?: unknown; error?: string }[]; error?: string };
      const error = body.error ?? body.results?.[0]?.error;
      expect(error, `${when}: ${q} → ${answer.status} ${answer.body}`).toMatch(/^no circle can answer this statement now: /);
      expect(body.results?.[0]?.series, `${when}: ${q}`).toBeUndefined();
      return error as string;
    };
    for (const q of ['SELECT count("v") FROM qf1', ...fanOut]) await expectRefused(q, 'at once');

    await waitUntil('a1 and b1 down in /health', async () => {
      const health = await proxyHealth(c.url);
      return !health.circles.flatMap((circle) => circle.nodes).some((n) => (n.name === 'a1' || n.name === 'b1') && n.healthy);
    }, 10_000);
    const why = await expectRefused('SELECT count("v") FROM qf1', 'once known');
    expect(why).toContain('a1 (circle-a) is down');
    expect(why).toContain('b1 (circle-b) is down');
    for (const q of fanOut) await expectRefused(q, 'once known');
    // qf1, qf0 reads a1+a2 in circle A, b1+b2 in circle B: neither is complete.
    // qf0 (a2/b2) and qf2 (a1/b2 — circle B) are still answered in full.
    expect(await ask(c.url, 'SELECT count("v") FROM qf0')).toEqual(ok);
    const qf2 = JSON.parse((await ask(c.url, 'SELECT count("v") FROM qf2')).body) as { results: { series: { values: number[][] }[] }[] };
    expect(qf2.results[0]?.series[0]?.values[0]?.[1]).toBe(300);
    // Several statements: the one that can be answered is, the other gets the error.
    const both = JSON.parse((await ask(c.url, 'SELECT count("v") FROM qf0; SELECT count("v") FROM qf1')).body) as { results: { statement_id: number; series?: unknown; error?: string }[] };
    expect(both.results[0]).toEqual((JSON.parse(ok.body) as { results: unknown[] }).results[0]);
    expect(both.results[1]?.statement_id).toBe(1);
    expect(both.results[1]?.series).toBeUndefined();
    expect(both.results[1]?.error).toMatch(/^no circle can answer this statement now: /);

    // One owner back: qf1 is answered in full again.
    await c.node('b1').restart();
    await waitActive(c.url, 'b1');
    const back = JSON.parse((await ask(c.url, 'SELECT count("v") FROM qf1')).body) as { results: { series: { values: number[][] }[] }[] };
    expect(back.results[0]?.series[0]?.values[0]?.[1]).toBe(300);
  });
});
