// Bad input gets InfluxDB's answer: every request below goes to the proxy and to a standalone influxd,
// and the status, the JSON `error` text and the X-Influxdb-Error header must be the same. Then the
// proxy's own limits (body size before and after gzip, line length, body time, Content-Encoding),
// the v2 write API's errors, and the metrics that count every refusal.
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdServer } from '../deploy/local/influxd.js';
import { query, startCluster, type TestCluster } from './helpers/cluster.js';
import { expectOnEveryCircle, perCircle, post, selectRows, type Answer } from './helpers/influx.js';
import { metric } from './helpers/load.js';

const LIMITS = { maxBodyBytes: 1024 * 1024, maxCompressedBodyBytes: 256 * 1024, maxLineBytes: 1000, requestTimeout: 1000 };

let cluster: TestCluster;
let standalone: InfluxdServer;
let standaloneDir: string;

beforeAll(async () => {
  standaloneDir = mkdtempSync(join(tmpdir(), 'influxring-standalone-'));
  [cluster, standalone] = await Promise.all([
    startCluster({ circles: [1, 1], config: { limits: LIMITS } }),
    startInfluxd({ name: 'standalone', dir: standaloneDir }),
  ]);
  await query(standalone.url, 'CREATE DATABASE "demo"');
  // a retention policy for the v2 `bucket=db/rp` test, created before the proxy first lists demo's policies
  for (const node of cluster.nodes.flat()) await query(node.url, 'CREATE RETENTION POLICY "bi_week" ON "demo" DURATION 7d REPLICATION 1');
});

afterAll(async () => {
  await cluster?.stop();
  await standalone?.stop();
  if (standaloneDir) rmSync(standaloneDir, { recursive: true, force: true });
});

/** The same request to the proxy and to the standalone influxd, one after the other. */
async function both(path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ proxy: Answer; influxd: Answer }> {
  const proxy = await post(cluster.url, path, body, headers);
  const influxd = await post(standalone.url, path, body, headers);
  return { proxy, influxd };
}

/** Measurements on every node of the cluster (to check that nothing of a refused write was stored). */
async function storedAnywhere(measurement: string): Promise<number> {
  let total = 0;
  for (const node of cluster.nodes.flat()) total += (await selectRows(node.url, `SELECT * FROM "${measurement}"`)).length;
  return total;
}

/** Sends `head` (request line and headers) and `body` on a raw socket; resolves with everything read until close or `waitMs`. */
function rawRequest(head: string, body: Buffer, options: { endBody: boolean; waitMs: number }): Promise<string> {
  const url = new URL(cluster.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    const timer = setTimeout(done, options.waitMs);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const headEnd = received.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(received);
      if (headEnd !== -1 && length && received.length >= headEnd + 4 + Number(length[1])) done();
    });
    socket.on('close', done);
    socket.write(head);
    socket.write(body);
    if (options.endBody) socket.end();
  });
}

const MALFORMED: { name: string; path: string; body: string }[] = [
  { name: 'missing field value', path: '/write?db=demo', body: 'bi_malformed v=' },
  { name: 'missing fields', path: '/write?db=demo', body: 'bi_nofields' },
  { name: 'invalid field format', path: '/write?db=demo', body: 'bi_format x' },
  { name: 'missing tag value', path: '/write?db=demo', body: 'bi_tag,a= v=1' },
  { name: 'duplicate tags', path: '/write?db=demo', body: 'bi_dup,a=1,a=2 v=1' },
  { name: 'invalid boolean', path: '/write?db=demo', body: 'bi_bool v=tru' },
  { name: 'bad timestamp', path: '/write?db=demo', body: 'bi_ts v=1 abc' },
  { name: 'integer out of range', path: '/write?db=demo', body: 'bi_int v=99999999999999999999i' },
  { name: 'unbalanced quotes', path: '/write?db=demo', body: 'bi_quote v="abc' },
  { name: 'time outside range (precision s)', path: '/write?db=demo&precision=s', body: 'bi_range v=1 99999999999999' },
  { name: 'several bad lines, no good one', path: '/write?db=demo', body: 'bi_bad one\nbi_bad two=\n' },
];

const REFUSED: { name: string; path: string; body: string; headers?: Record<string, string> }[] = [
  { name: 'unknown database', path: '/write?db=bi_nope', body: 'bi_x v=1 1000' },
  { name: 'unknown database, bad lines', path: '/write?db=bi_nope', body: 'bad line' },
  { name: 'unknown database, empty body', path: '/write?db=bi_nope', body: '' },
  { name: 'unknown retention policy', path: '/write?db=demo&rp=bi_nope', body: 'bi_x v=1 1000' },
  { name: 'unknown retention policy, some bad lines', path: '/write?db=demo&rp=bi_nope', body: 'bi_x v=1 1000\nbad line' },
  { name: 'unknown retention policy, empty body', path: '/write?db=demo&rp=bi_nope', body: '' },
  // influxd parses before it looks the retention policy up: only bad lines → 400, not 500
  { name: 'unknown retention policy, only bad lines', path: '/write?db=demo&rp=bi_nope', body: 'bad line' },
  { name: 'missing db parameter', path: '/write', body: 'bi_x v=1 1000' },
  { name: 'empty db parameter', path: '/write?db=', body: 'bi_x v=1 1000' },
  { name: 'missing db parameter, empty body', path: '/write', body: '' },
];

const ACCEPTED: { name: string; path: string; body: string; headers?: Record<string, string> }[] = [
  { name: 'empty body', path: '/write?db=demo', body: '' },
  { name: 'only comments and blank lines', path: '/write?db=demo', body: '# a comment\n\n   \n# another\n' },
  { name: 'lines with comments and blank lines between', path: '/write?db=demo', body: '\n# c\nbi_ok1 v=1 1000\n\n   bi_ok1 v=2 2000\n' },
  { name: 'Content-Type application/json', path: '/write?db=demo', body: 'bi_ctype1 v=1 1000', headers: { 'content-type': 'application/json' } },
  { name: 'Content-Type application/x-www-form-urlencoded', path: '/write?db=demo', body: 'bi_ctype2 v=1 1000', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  // the influx CLI (1.6) sends `Content-Type:` with an empty value on every write
  { name: 'empty Content-Type (the influx CLI sends it)', path: '/write?db=demo', body: 'bi_ctype3 v=1 1000', headers: { 'content-type': '' } },
  { name: 'malformed Content-Type', path: '/write?db=demo', body: 'bi_ctype4 v=1 1000', headers: { 'content-type': 'text' } },
  { name: 'unknown precision is nanoseconds', path: '/write?db=demo&precision=xyz', body: 'bi_prec v=1 1700000000000000000' },
  { name: 'explicit rp=autogen', path: '/write?db=demo&rp=autogen', body: 'bi_autogen v=1 1700000000000000000' },
  { name: 'the influx CLI\'s parameters (consistency=all, precision=ns, empty rp)', path: '/write?consistency=all&db=demo&precision=ns&rp=', body: 'bi_cliparams v=1 1700000000000000000' },
];

describe('bad input gets influxd\'s status and message', () => {
  it.each(MALFORMED)('malformed line: $name → 400 unable to parse', async ({ path, body }) => {
    const { proxy, influxd } = await both(path, body);
    expect(influxd.status).toBe(400);
    expect(influxd.error).toMatch(/^unable to parse '/);
    expect(proxy.status).toBe(influxd.status);
    expect(proxy.error).toBe(influxd.error);
    expect(proxy.header).not.toBeNull();
    expect(proxy.header).toBe(influxd.header);
  });

  it.each(REFUSED)('$name → influxd\'s status and error', async ({ path, body, headers }) => {
    const { proxy, influxd } = await both(path, body, headers);
    expect(influxd.status).toBeGreaterThanOrEqual(400);
    expect({ status: proxy.status, error: proxy.error, header: proxy.header }).toEqual({ status: influxd.status, error: influxd.error, header: influxd.header });
    expect(proxy.header).not.toBeNull();
  });

  it.each(ACCEPTED)('$name → 204 as influxd', async ({ path, body, headers }) => {
    const { proxy, influxd } = await both(path, body, headers);
    expect(influxd.status).toBe(204);
    expect({ status: proxy.status, body: proxy.body }).toEqual({ status: 204, body: '' });
  });

  it('the messages of the refusals are the documented ones', async () => {
    expect((await post(cluster.url, '/write?db=bi_nope', 'bi_x v=1')).error).toBe('database not found: "bi_nope"');
    expect((await post(cluster.url, '/write?db=demo&rp=bi_nope', 'bi_x v=1')).error).toBe('retention policy not found: bi_nope');
    const missing = await post(cluster.url, '/write', 'bi_x v=1');
    expect(missing).toMatchObject({ status: 400, error: 'database is required', header: 'database is required' });
  });

  it('error bodies are influxd\'s bytes: the JSON document and a newline, with Content-Type application/json', async () => {
    for (const [path, body] of [
      ['/write?db=bi_nope', 'bi_x v=1'],
      ['/write?db=demo', 'bi_malformed v='],
    ] as const) {
      const proxy = await fetch(`${cluster.url}${path}`, { method: 'POST', body });
      const influxd = await fetch(`${standalone.url}${path}`, { method: 'POST', body });
      expect({ contentType: proxy.headers.get('content-type'), body: await proxy.text() }).toEqual({
        contentType: influxd.headers.get('content-type'),
        body: await influxd.text(),
      });
    }
  });

  it('partial write: 400 "partial write: … dropped=0", and the good lines are stored on both circles', async () => {
    const body = [
      'bi_partial,host=a v=1 1700000000000000000',
      'bi_partial,host=b v=',
      'bi_partial,host=c v=3 1700000000000000002',
      'not a line',
      'bi_partial,host=d v=4 1700000000000000003',
    ].join('\n');
    const { proxy, influxd } = await both('/write?db=demo', body);
    expect(influxd.status).toBe(400);
    expect(influxd.error).toBe("partial write: unable to parse 'bi_partial,host=b v=': missing field value\nunable to parse 'not a line': invalid field format dropped=0");
    expect({ status: proxy.status, error: proxy.error, header: proxy.header }).toEqual({ status: 400, error: influxd.error, header: influxd.header });
    const expected = await selectRows(standalone.url, 'SELECT * FROM bi_partial');
    expect(expected).toHaveLength(3);
    await expectOnEveryCircle(cluster, 'SELECT * FROM bi_partial', expected);
  });

  it('field type conflict: 400 "partial write: field type conflict …", the other points stored', async () => {
    const first = await both('/write?db=demo', 'bi_conflict,host=a v=1.5 1700000000000000000');
    expect([first.proxy.status, first.influxd.status]).toEqual([204, 204]);
    const { proxy, influxd } = await both('/write?db=demo', 'bi_conflict,host=b v=2i 1700000000000000001\nbi_conflict,host=c v=3.5 1700000000000000002');
    expect(influxd.status).toBe(400);
    expect(influxd.error).toBe('partial write: field type conflict: input field "v" on measurement "bi_conflict" is type integer, already exists as type float dropped=1');
    expect({ status: proxy.status, error: proxy.error, header: proxy.header }).toEqual({ status: 400, error: influxd.error, header: influxd.header });
    await expectOnEveryCircle(cluster, 'SELECT * FROM bi_conflict', [
      { time: '1700000000000000000', host: 'a', v: 1.5 },
      { time: '1700000000000000002', host: 'c', v: 3.5 },
    ]);
  });

  it('field type conflict inside one request for a new measurement', async () => {
    const { proxy, influxd } = await both('/write?db=demo', 'bi_newconflict v=1i 1700000000000000000\nbi_newconflict v=2 1700000000000000001\nbi_newconflict v=3i 1700000000000000002');
    expect(influxd.status).toBe(400);
    expect(influxd.error).toBe('partial write: field type conflict: input field "v" on measurement "bi_newconflict" is type float, already exists as type integer dropped=1');
    expect({ status: proxy.status, error: proxy.error, header: proxy.header }).toEqual({ status: 400, error: influxd.error, header: influxd.header });
    await expectOnEveryCircle(cluster, 'SELECT * FROM bi_newconflict', [
      { time: '1700000000000000000', v: 1 },
      { time: '1700000000000000002', v: 3 },
    ]);
  });

  it('gzip body (Content-Encoding: gzip) is decompressed and stored', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `bi_gzip,host=h${i % 7} v=${i} ${1_700_000_000_000_000_000n + BigInt(i)}`).join('\n');
    const { proxy, influxd } = await both('/write?db=demo', gzipSync(lines), { 'content-encoding': 'gzip' });
    expect([proxy.status, influxd.status]).toEqual([204, 204]);
    const expected = await selectRows(standalone.url, 'SELECT * FROM bi_gzip');
    expect(expected).toHaveLength(500);
    await expectOnEveryCircle(cluster, 'SELECT * FROM bi_gzip', expected);
  });

  it('corrupt or truncated gzip → 400 as influxd, nothing stored', async () => {
    const whole = gzipSync('bi_badgzip v=1 1000\nbi_badgzip v=2 2000');
    for (const body of [Buffer.from('bi_badgzip v=1 1000'), whole.subarray(0, whole.length - 12)]) {
      const { proxy, influxd } = await both('/write?db=demo', body, { 'content-encoding': 'gzip' });
      expect(influxd.status).toBe(400);
      expect(proxy.status).toBe(400);
      // influxd's text is Go's gzip error ("gzip: invalid header", "unexpected EOF"); the proxy names gzip too
      expect(proxy.error).toMatch(/gzip/);
      expect(proxy.header).not.toBeNull();
    }
    expect(await storedAnywhere('bi_badgzip')).toBe(0);
  });
});

describe('the proxy\'s limits', () => {
  it('a body larger than maxCompressedBodyBytes → 413 (with Content-Length and chunked), nothing stored', async () => {
    const line = `bi_big,host=h v=1,pad="${'p'.repeat(200)}"`;
    const body = Buffer.from(Array.from({ length: Math.ceil((LIMITS.maxCompressedBodyBytes * 1.2) / line.length) }, (_, i) => `${line} ${1000 + i}`).join('\n'));
    const sized = await post(cluster.url, '/write?db=demo', body);
    expect(sized.status).toBe(413);
    expect(sized.error).toBe(`request body too large: more than ${LIMITS.maxCompressedBodyBytes} bytes`);
    expect(sized.header).toBe(sized.error);

    // chunked: no Content-Length, so the limit must be checked while reading
    const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL(`${cluster.url}/write?db=demo`);
      const req = httpRequest({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: 'POST' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      for (let at = 0; at < body.length; at += 16 * 1024) req.write(body.subarray(at, at + 16 * 1024));
      req.end();
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.text)).toEqual({ error: `request body too large: more than ${LIMITS.maxCompressedBodyBytes} bytes` });
    expect(await storedAnywhere('bi_big')).toBe(0);
  });

  it('a gzip body larger than maxBodyBytes once decompressed → 413 "after decompression", nothing stored', async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) => `bi_inflated,host=h${i % 10} v=${i} ${1_700_000_000_000_000_000n + BigInt(i)}`).join('\n');
    const body = gzipSync(lines);
    expect(body.length).toBeLessThan(LIMITS.maxCompressedBodyBytes);
    expect(lines.length).toBeGreaterThan(LIMITS.maxBodyBytes);
    const answer = await post(cluster.url, '/write?db=demo', body, { 'content-encoding': 'gzip' });
    expect(answer.status).toBe(413);
    expect(answer.error).toBe(`request body too large: more than ${LIMITS.maxBodyBytes} bytes after decompression`);
    expect(await storedAnywhere('bi_inflated')).toBe(0);
  });

  it('a gzip bomb is refused while it is still being sent (decompression stops at the limit)', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(LIMITS.maxCompressedBodyBytes);
    // Send most of the bomb and keep the request open: the answer must come before the body ends,
    // which it can only if the decompressed size is checked as the body arrives. Otherwise the
    // proxy would wait for the rest and answer 408 after requestTimeout.
    const sent = bomb.subarray(0, Math.floor(bomb.length * 0.8));
    const head = `POST /write?db=demo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Encoding: gzip\r\nContent-Length: ${bomb.length}\r\n\r\n`;
    const response = await rawRequest(head, sent, { endBody: false, waitMs: LIMITS.requestTimeout * 5 });
    expect(response).toMatch(/^HTTP\/1\.1 413 /);
    expect(response).toContain(`request body too large: more than ${LIMITS.maxBodyBytes} bytes after decompression`);
    // and the proxy is fine afterwards
    expect((await post(cluster.url, '/write?db=demo', 'bi_after_bomb v=1 1000')).status).toBe(204);
  });

  it('a line longer than maxLineBytes → 400 "line too long", the request\'s other lines stored', async () => {
    const long = `bi_long,host=a v=1,pad="${'x'.repeat(LIMITS.maxLineBytes)}" 1700000000000000000`;
    const body = ['bi_long,host=b v=2 1700000000000000001', long, 'bi_long,host=c v=3 1700000000000000002'].join('\n');
    const answer = await post(cluster.url, '/write?db=demo', body);
    expect(answer.status).toBe(400);
    // Only the start of a line over the limit is echoed back.
    expect(answer.error).toMatch(/^partial write: unable to parse 'bi_long,host=a v=1,pad="x+': line too long: \d+ bytes, the limit is 1000 \(shown cut at 1024 bytes\) dropped=0$/);
    expect(answer.error).toContain(`line too long: ${long.length} bytes`);
    expect(answer.header).not.toBeNull();
    await expectOnEveryCircle(cluster, 'SELECT * FROM bi_long', [
      { time: '1700000000000000001', host: 'b', v: 2 },
      { time: '1700000000000000002', host: 'c', v: 3 },
    ]);
  });

  it('a body trickled slower than requestTimeout → 408, nothing stored', async () => {
    const body = 'bi_slow v=1 1000\n';
    const head = `POST /write?db=demo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${body.length + 100}\r\n\r\n`;
    // the headers and part of the body, then nothing: the rest never comes
    const response = await rawRequest(head, Buffer.from(body), { endBody: false, waitMs: LIMITS.requestTimeout * 5 });
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    const json = response.slice(response.indexOf('\r\n\r\n') + 4);
    expect(JSON.parse(json)).toEqual({ error: `request timeout: the body was not received within ${LIMITS.requestTimeout} ms` });
    expect(await storedAnywhere('bi_slow')).toBe(0);
  });

  it('CRLF line endings (a deliberate difference: influxd refuses the \\r) are stored without the \\r', async () => {
    const before = BigInt(Date.now() - 1000) * 1_000_000n;
    const answer = await post(cluster.url, '/write?db=demo', 'bi_crlf,host=a v=1 1700000000000000000\r\nbi_crlf,host=b s="x" 1700000000000000001\r\nbi_crlf,host=c v=3\r\n');
    expect(answer.status).toBe(204);
    const circles = await perCircle(cluster, 'SELECT * FROM bi_crlf');
    expect(circles[0]?.slice(0, 2)).toEqual([
      { time: '1700000000000000000', host: 'a', s: null, v: 1 },
      { time: '1700000000000000001', host: 'b', s: 'x', v: null },
    ]);
    const stamped = circles[0]?.[2];
    expect(stamped).toMatchObject({ host: 'c', s: null, v: 3 });
    expect(BigInt(String(stamped?.time)) >= before).toBe(true);
    expect(circles[1]).toEqual(circles[0]);
  });

  it('an unsupported Content-Encoding → 415, nothing stored', async () => {
    for (const encoding of ['br', 'deflate']) {
      const answer = await post(cluster.url, '/write?db=demo', 'bi_encoding v=1 1000', { 'content-encoding': encoding });
      expect(answer.status).toBe(415);
      expect(answer.error).toBe(`unsupported Content-Encoding "${encoding}": send identity or gzip`);
      expect(answer.header).toBe(answer.error);
    }
    expect(await storedAnywhere('bi_encoding')).toBe(0);
  });
});

describe('/api/v2/write errors (v2 JSON)', () => {
  it('missing bucket → 400 {"code":"invalid","message":"bucket is required"}', async () => {
    for (const path of ['/api/v2/write', '/api/v2/write?bucket=', '/api/v2/write?org=x&precision=s']) {
      const response = await fetch(`${cluster.url}${path}`, { method: 'POST', body: 'bi_v2 v=1 1' });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('x-influxdb-error')).toBe('bucket is required');
      expect(await response.json()).toEqual({ code: 'invalid', message: 'bucket is required' });
    }
  });

  it('a precision outside ns/us/ms/s → 400 invalid', async () => {
    for (const precision of ['n', 'u', 'h', 'seconds']) {
      const response = await fetch(`${cluster.url}/api/v2/write?bucket=demo&precision=${precision}`, { method: 'POST', body: 'bi_v2 v=1 1' });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ code: 'invalid', message: `invalid precision "${precision}": expected one of ns, us, ms, s` });
    }
    expect(await storedAnywhere('bi_v2')).toBe(0);
  });

  it('bucket db/rp writes into that retention policy', async () => {
    const seconds = Math.floor(Date.now() / 1000);
    const response = await fetch(`${cluster.url}/api/v2/write?org=&bucket=${encodeURIComponent('demo/bi_week')}&precision=s`, { method: 'POST', body: `bi_v2rp,host=a v=1 ${seconds}` });
    expect(response.status, await response.clone().text()).toBe(204);
    for (const node of cluster.nodes.flat()) {
      expect(await selectRows(node.url, 'SELECT * FROM "demo"."bi_week"."bi_v2rp"')).toEqual([{ time: `${seconds}000000000`, host: 'a', v: 1 }]);
      expect(await selectRows(node.url, 'SELECT * FROM "demo"."autogen"."bi_v2rp"')).toEqual([]);
    }
  });

  it('unknown bucket, unknown retention policy and bad lines come back in v2 form', async () => {
    const cases = [
      { path: '/api/v2/write?bucket=bi_nope', body: 'bi_v2x v=1 1', status: 404, json: { code: 'not found', message: 'database not found: "bi_nope"' } },
      { path: '/api/v2/write?bucket=demo/bi_nope', body: 'bi_v2x v=1 1', status: 500, json: { code: 'internal error', message: 'retention policy not found: bi_nope' } },
      { path: '/api/v2/write?bucket=demo', body: 'bi_v2x v=', status: 400, json: { code: 'invalid', message: "unable to parse 'bi_v2x v=': missing field value" } },
    ];
    for (const c of cases) {
      const response = await fetch(`${cluster.url}${c.path}`, { method: 'POST', body: c.body });
      expect(response.status, c.path).toBe(c.status);
      expect(await response.json()).toEqual(c.json);
    }
    expect(await storedAnywhere('bi_v2x')).toBe(0);
  });
});

describe('metrics count every refusal', () => {
  it('influxring_points_rejected_total and influxring_requests_rejected_total by reason', async () => {
    const points = ['parse', 'line_too_long', 'database_not_found', 'retention_policy_not_found', 'node_rejected'] as const;
    const requests = ['parse', 'database_not_found', 'retention_policy_not_found', 'body_too_large', 'timeout', 'body_unreadable', 'node_rejected'] as const;
    const read = async (): Promise<Record<string, number>> => {
      const out: Record<string, number> = {};
      for (const reason of points) out[`points_${reason}`] = await metric(cluster.url, 'influxring_points_rejected_total', { reason });
      for (const reason of requests) out[`requests_${reason}`] = await metric(cluster.url, 'influxring_requests_rejected_total', { reason });
      return out;
    };
    expect((await post(cluster.url, '/write?db=demo', 'bi_metric_conflict v=1.5 1700000000000000000')).status).toBe(204);
    const before = await read();

    // 2 bad lines and 1 good one; and a missing db parameter: 2 requests refused for parsing, 2 points
    expect((await post(cluster.url, '/write?db=demo', 'bad one\nbi_metric v=1 1000\nbad two')).status).toBe(400);
    expect((await post(cluster.url, '/write', 'bi_metric v=1 1000')).status).toBe(400);
    // a line too long (its request is a parse refusal)
    expect((await post(cluster.url, '/write?db=demo', `bi_metric v=1,s="${'y'.repeat(LIMITS.maxLineBytes)}" 1000`)).status).toBe(400);
    // unknown database (3 points) and unknown retention policy (2 points)
    expect((await post(cluster.url, '/write?db=bi_nope', 'a v=1\nb v=2\nc v=3')).status).toBe(404);
    expect((await post(cluster.url, '/write?db=demo&rp=bi_nope', 'a v=1\nb v=2')).status).toBe(500);
    // too large, twice (as received, and after decompression)
    expect((await post(cluster.url, '/write?db=demo', Buffer.alloc(LIMITS.maxCompressedBodyBytes + 1, 0x61))).status).toBe(413);
    expect((await post(cluster.url, '/write?db=demo', gzipSync(Buffer.alloc(LIMITS.maxBodyBytes + 1, 0x61)), { 'content-encoding': 'gzip' })).status).toBe(413);
    // a body that never finishes
    const slow = await rawRequest('POST /write?db=demo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50\r\n\r\n', Buffer.from('bi_metric v=1'), { endBody: false, waitMs: LIMITS.requestTimeout * 5 });
    expect(slow).toMatch(/^HTTP\/1\.1 408 /);
    // unreadable: corrupt gzip, unsupported encoding
    expect((await post(cluster.url, '/write?db=demo', Buffer.from('not gzip'), { 'content-encoding': 'gzip' })).status).toBe(400);
    expect((await post(cluster.url, '/write?db=demo', 'bi_metric v=1 1000', { 'content-encoding': 'br' })).status).toBe(415);
    // a point the nodes refuse (type conflict): one point of one request, refused by both circles
    expect((await post(cluster.url, '/write?db=demo', 'bi_metric_conflict v=1i 1700000000000000001')).status).toBe(400);

    const after = await read();
    const delta = Object.fromEntries(Object.keys(after).map((key) => [key, (after[key] ?? 0) - (before[key] ?? 0)]));
    expect(delta).toEqual({
      points_parse: 2,
      points_line_too_long: 1,
      points_database_not_found: 3,
      points_retention_policy_not_found: 2,
      points_node_rejected: 1,
      requests_parse: 3,
      requests_database_not_found: 1,
      requests_retention_policy_not_found: 1,
      requests_body_too_large: 2,
      requests_timeout: 1,
      requests_body_unreadable: 2,
      requests_node_rejected: 1,
    });
  });
});
