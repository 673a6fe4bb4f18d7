// Promise 2, attribution: concurrent requests are merged into one batch per node (flushAge), so a node's
// error for that batch must be traced back to the request that caused it. The request with the bad
// point gets the node's answer; every other request gets 204 and all its points are on both circles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, startCluster, type TestCluster } from './helpers/cluster.js';
import { expectOnEveryCircle, measurements, perCircle, post, sortRows, type Row } from './helpers/influx.js';

let cluster: TestCluster;

beforeAll(async () => {
  // One batch in flight per node: requests that arrive meanwhile are merged into the next batch.
  cluster = await startCluster({ circles: [2, 2], config: { write: { flushAge: 50, maxInFlightPerNode: 1 } } });
});

afterAll(async () => {
  await cluster?.stop();
});

// All points of a test lie within seconds of T0, in one shard group: InfluxDB 1.x keeps field types
// per shard, so a type conflict only exists inside one shard group.
const T0 = 1_700_000_000_000_000_000n;

interface Answer {
  status: number;
  error: string | null;
}

interface WriteSpec {
  path: string;
  body: string;
}

/** Sends every request at once; answers (status and error only) in the same order. */
async function fire(requests: readonly WriteSpec[]): Promise<Answer[]> {
  return Promise.all(
    requests.map(async ({ path, body }) => {
      const { status, error } = await post(cluster.url, path, body);
      return { status, error };
    }),
  );
}

/** Sum of a per-node histogram series (`_count` or `_sum`) over all nodes. */
async function batchMetric(suffix: '_count' | '_sum'): Promise<number> {
  const text = await (await fetch(`${cluster.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`influxring_batch_points${suffix}{`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** The node of circle 0 that holds `measurement` (its owner there). */
async function ownerInFirstCircle(measurement: string): Promise<string> {
  const circle = cluster.nodes[0] ?? [];
  for (const node of circle) if ((await measurements(node.url, 'demo')).includes(measurement)) return node.url;
  throw new Error(`no node of circle 0 holds ${measurement}`);
}

function ts(offset: number): string {
  return String(T0 + BigInt(offset));
}

describe('attribution of node errors in merged batches', () => {
  it('concurrent requests for one node are merged into shared batches (what the tests below rely on)', async () => {
    const batchesBefore = await batchMetric('_count');
    const pointsBefore = await batchMetric('_sum');
    // Many at once, so that some arrive while a batch is in flight even on a busy machine.
    const requests = Array.from({ length: 100 }, (_, i) => ({ path: '/write?db=demo', body: `attr_merge,req=r${i} v=${i}.5 ${ts(i)}` }));
    const answers = await fire(requests);
    expect(answers.map((a) => a.status)).toEqual(requests.map(() => 204));
    const batches = (await batchMetric('_count')) - batchesBefore;
    const points = (await batchMetric('_sum')) - pointsBefore;
    // 100 points to one owner in each of 2 circles
    expect(points).toBe(200);
    expect(batches, `${batches} batches for 200 points`).toBeLessThan(200);
  });

  it('a field type conflict in one request: that request gets the node\'s 400, every other request 204 with all its points', async () => {
    const setup = await fire([{ path: '/write?db=demo', body: `attr_cpu,req=setup v=0.5 ${ts(0)}` }]);
    expect(setup[0]?.status).toBe(204);
    // the node's own answer to the bad line, asked directly (it is refused, so nothing changes)
    const owner = await ownerInFirstCircle('attr_cpu');
    const direct = await fetch(`${owner}/write?db=demo`, { method: 'POST', body: `attr_cpu,req=bad v=1i ${ts(1)}` });
    expect(direct.status).toBe(400);
    const nodeError = ((await direct.json()) as { error: string }).error;
    expect(nodeError).toBe('partial write: field type conflict: input field "v" on measurement "attr_cpu" is type integer, already exists as type float dropped=1');

    const expected: Row[] = [{ time: ts(0), req: 'setup', n: null, v: 0.5 }];
    const expectedMem: Row[] = [];
    for (let round = 0; round < 3; round++) {
      const base = 1_000_000 * (round + 1);
      const requests: WriteSpec[] = [];
      for (let i = 0; i < 24; i++) {
        const lines: string[] = [];
        for (let k = 0; k < 5; k++) {
          const offset = base + i * 10 + k;
          lines.push(`attr_cpu,req=g${round}_${i},n=${k} v=${i}.${k}5 ${ts(offset)}`);
          expected.push({ time: ts(offset), req: `g${round}_${i}`, n: String(k), v: Number(`${i}.${k}5`) });
        }
        lines.push(`attr_mem,req=g${round}_${i} used=${i}i ${ts(base + i)}`);
        expectedMem.push({ time: ts(base + i), req: `g${round}_${i}`, used: i });
        requests.push({ path: '/write?db=demo', body: lines.join('\n') });
      }
      // the bad request (a conflicting point and a good one) and a request with an unparsable line,
      // placed among the good ones, differently in each round
      const bad: WriteSpec = { path: '/write?db=demo', body: `attr_cpu,req=bad v=1i ${ts(base + 900)}\nattr_cpu,req=bad_ok${round} v=9.5 ${ts(base + 901)}` };
      const parseBad: WriteSpec = { path: '/write?db=demo', body: `attr_cpu,req=parsebad v=\nattr_cpu,req=parse_ok${round} v=8.5 ${ts(base + 902)}` };
      expected.push({ time: ts(base + 901), req: `bad_ok${round}`, n: null, v: 9.5 });
      expected.push({ time: ts(base + 902), req: `parse_ok${round}`, n: null, v: 8.5 });
      const badAt = [12, 0, 24][round] as number;
      requests.splice(badAt, 0, bad);
      const parseBadAt = [3, 20, 7][round] as number;
      requests.splice(parseBadAt, 0, parseBad);

      const answers = await fire(requests);
      for (const [i, answer] of answers.entries()) {
        const request = requests[i];
        if (request === bad) expect(answer, 'the conflicting request').toEqual({ status: 400, error: nodeError });
        else if (request === parseBad) {
          expect(answer, 'the unparsable request').toEqual({ status: 400, error: "partial write: unable to parse 'attr_cpu,req=parsebad v=': missing field value dropped=0" });
        } else expect(answer, `good request ${i} of round ${round}`).toEqual({ status: 204, error: null });
      }
    }
    await expectOnEveryCircle(cluster, 'SELECT * FROM attr_cpu', sortRows(expected));
    await expectOnEveryCircle(cluster, 'SELECT * FROM attr_mem', sortRows(expectedMem));
  });

  it('two requests that give a new measurement\'s field different types: exactly one wins, the same on both circles', async () => {
    for (let round = 0; round < 3; round++) {
      const m = `attr_new${round}`;
      const base = 5_000_000 * (round + 1);
      const requests: WriteSpec[] = [];
      const goodRows: Row[] = [];
      for (let i = 0; i < 20; i++) {
        // other fields of the same measurement, in the same batches
        requests.push({ path: '/write?db=demo', body: `${m},req=g${i} g=${i}.25 ${ts(base + i)}\n${m},req=g${i} g=${i}.75 ${ts(base + 100 + i)}` });
        goodRows.push({ time: ts(base + i), req: `g${i}`, g: i + 0.25 }, { time: ts(base + 100 + i), req: `g${i}`, g: i + 0.75 });
      }
      const asFloat: WriteSpec = { path: '/write?db=demo', body: `${m},req=float v=1.5 ${ts(base + 500)}` };
      const asInteger: WriteSpec = { path: '/write?db=demo', body: `${m},req=integer v=2i ${ts(base + 501)}` };
      requests.splice(5 + round, 0, asFloat);
      requests.splice(15 - round, 0, asInteger);

      const answers = await fire(requests);
      const floatAnswer = answers[requests.indexOf(asFloat)] as Answer;
      const integerAnswer = answers[requests.indexOf(asInteger)] as Answer;
      for (const [i, answer] of answers.entries()) {
        if (requests[i] !== asFloat && requests[i] !== asInteger) expect(answer, `good request ${i}`).toEqual({ status: 204, error: null });
      }
      const statuses = [floatAnswer.status, integerAnswer.status].sort();
      expect(statuses, JSON.stringify({ floatAnswer, integerAnswer })).toEqual([204, 400]);
      const floatWon = floatAnswer.status === 204;
      const loser = floatWon ? integerAnswer : floatAnswer;
      expect(loser.error).toBe(
        `partial write: field type conflict: input field "v" on measurement "${m}" is type ${floatWon ? 'integer' : 'float'}, already exists as type ${floatWon ? 'float' : 'integer'} dropped=1`,
      );
      const winnerRow = floatWon ? { time: ts(base + 500), req: 'float', g: null, v: 1.5 } : { time: ts(base + 501), req: 'integer', g: null, v: 2 };
      await expectOnEveryCircle(cluster, `SELECT * FROM ${m}`, sortRows([...goodRows.map((row) => ({ ...row, v: null })), winnerRow]));
    }
  });

  it('two conflicting requests whose batches are in flight at once: exactly one wins, the same on both circles', async () => {
    // A large request ending with `v` as a float, then, while its batch is still being written, a small
    // request with `v` as an integer: each node decides the winner by which batch it applies first.
    const outcomes: { round: number; float: number; integer: number; circles: string[] }[] = [];
    for (let round = 0; round < 30; round++) {
      const m = `attr_race${round}`;
      const base = 20_000_000 * (round + 1);
      const big = Array.from({ length: 40_000 }, (_, i) => `${m},k=${i % 100} g=${i}.5 ${ts(base + i)}`);
      big.push(`${m},req=float v=1.5 ${ts(base + 50_000)}`);
      const bigAnswer = fire([{ path: '/write?db=demo', body: big.join('\n') }]);
      await new Promise((resolve) => setTimeout(resolve, 30 + (round % 8) * 10));
      const [smallAnswer] = await fire([{ path: '/write?db=demo', body: `${m},req=integer v=2i ${ts(base + 50_001)}` }]);
      const [largeAnswer] = await bigAnswer;
      const circles = await perCircle(cluster, `SELECT v, req FROM ${m} WHERE req != ''`);
      outcomes.push({ round, float: largeAnswer?.status ?? 0, integer: smallAnswer?.status ?? 0, circles: circles.map((rows) => JSON.stringify(rows.map((row) => [row.req, row.v]))) });
    }
    const wrong = outcomes.filter((o) => o.circles[0] !== o.circles[1] || [o.float, o.integer].sort().join() !== '204,400');
    expect(wrong, `${wrong.length} of ${outcomes.length} rounds`).toEqual([]);
  });

  it('an unknown database or retention policy in one request does not affect concurrent requests to demo', async () => {
    const requests: WriteSpec[] = [];
    const expected: Row[] = [];
    for (let i = 0; i < 20; i++) {
      requests.push({ path: '/write?db=demo', body: `attr_db,req=g${i} v=${i} ${ts(9_000_000 + i)}` });
      expected.push({ time: ts(9_000_000 + i), req: `g${i}`, v: i });
    }
    const unknownDb: WriteSpec = { path: '/write?db=attr_nope', body: `attr_db,req=nope v=1 ${ts(9_000_100)}` };
    const unknownRp: WriteSpec = { path: '/write?db=demo&rp=attr_nope', body: `attr_db,req=nope_rp v=1 ${ts(9_000_101)}` };
    requests.splice(7, 0, unknownDb);
    requests.splice(14, 0, unknownRp);
    const answers = await fire(requests);
    for (const [i, answer] of answers.entries()) {
      if (requests[i] === unknownDb) expect(answer).toEqual({ status: 404, error: 'database not found: "attr_nope"' });
      else if (requests[i] === unknownRp) expect(answer).toEqual({ status: 500, error: 'retention policy not found: attr_nope' });
      else expect(answer, `good request ${i}`).toEqual({ status: 204, error: null });
    }
    await expectOnEveryCircle(cluster, 'SELECT * FROM attr_db', sortRows(expected));
  });

  it('a database dropped on the nodes behind the proxy\'s back: the nodes\' 404 reaches only the requests for it', async () => {
    for (const node of cluster.nodes.flat()) await query(node.url, 'CREATE DATABASE "attr_gone"');
    // the proxy learns of the database on a miss (at most once a second)
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 204; attempt++) {
      status = (await fire([{ path: '/write?db=attr_gone', body: `attr_gone v=1 ${ts(0)}` }]))[0]?.status ?? 0;
      if (status !== 204) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(204);
    for (const node of cluster.nodes.flat()) await query(node.url, 'DROP DATABASE "attr_gone"');

    const requests: WriteSpec[] = [];
    const expected: Row[] = [];
    for (let i = 0; i < 20; i++) {
      requests.push({ path: '/write?db=demo', body: `attr_alive,req=g${i} v=${i} ${ts(9_500_000 + i)}` });
      expected.push({ time: ts(9_500_000 + i), req: `g${i}`, v: i });
    }
    const gone = [3, 10, 17].map((at, k) => {
      const spec: WriteSpec = { path: '/write?db=attr_gone', body: `attr_alive,req=gone${k} v=1 ${ts(9_500_100 + k)}` };
      requests.splice(at, 0, spec);
      return spec;
    });
    const answers = await fire(requests);
    for (const [i, answer] of answers.entries()) {
      const request = requests[i] as WriteSpec;
      if (gone.includes(request)) expect(answer).toEqual({ status: 404, error: 'database not found: "attr_gone"' });
      else expect(answer, `good request ${i}`).toEqual({ status: 204, error: null });
    }
    await expectOnEveryCircle(cluster, 'SELECT * FROM attr_alive', sortRows(expected));
  });
});
