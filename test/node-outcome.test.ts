// What a node's answer to a write means for the data: one test per row of the classification table
// in proxy/node-outcome.ts, then the same rows produced by a real influxd (and real network
// failures), through InfluxNode.write.
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../deploy/local/free-port.js';
import { startInfluxd, type InfluxdServer } from '../deploy/local/influxd.js';
import { classifyWriteFailure, classifyWriteResponse, errorText, type NodeOutcome } from '../proxy/node-outcome.js';
import { InfluxNode } from '../proxy/node.js';

interface ResponseRow {
  readonly name: string;
  readonly status: number;
  readonly body: string;
  readonly outcome: NodeOutcome;
}

const LONG_HTML = `<html><body>${'x'.repeat(2000)}</body></html>`;

const RESPONSE_ROWS: readonly ResponseRow[] = [
  { name: '204: accepted', status: 204, body: '', outcome: { kind: 'accepted' } },
  { name: '200: accepted (any 2xx)', status: 200, body: '', outcome: { kind: 'accepted' } },
  {
    name: '400 bad line: rejected, scope request',
    status: 400,
    body: '{"error":"unable to parse \'m v=\': missing field value"}',
    outcome: { kind: 'rejected', status: 400, error: "unable to parse 'm v=': missing field value", scope: 'request' },
  },
  {
    name: '400 partial write (type conflict): rejected, scope request',
    status: 400,
    body: '{"error":"partial write: field type conflict: input field \\"v\\" on measurement \\"m\\" is type string, already exists as type float dropped=1"}',
    outcome: {
      kind: 'rejected',
      status: 400,
      error: 'partial write: field type conflict: input field "v" on measurement "m" is type string, already exists as type float dropped=1',
      scope: 'request',
    },
  },
  {
    name: '400 with a body that is not JSON: rejected with the body as the error',
    status: 400,
    body: 'bad request\n',
    outcome: { kind: 'rejected', status: 400, error: 'bad request', scope: 'request' },
  },
  {
    name: '404 database not found: rejected, scope batch',
    status: 404,
    body: '{"error":"database not found: \\"nodb\\""}',
    outcome: { kind: 'rejected', status: 404, error: 'database not found: "nodb"', scope: 'batch' },
  },
  {
    name: '500 retention policy not found: rejected, scope batch (influxd\'s status, the client\'s error)',
    status: 500,
    body: '{"error":"retention policy not found: norp"}',
    outcome: { kind: 'rejected', status: 500, error: 'retention policy not found: norp', scope: 'batch' },
  },
  { name: '413: too large, split it', status: 413, body: '{"error":"Request Entity Too Large"}', outcome: { kind: 'too-large' } },
  { name: '413 with an HTML body: too large', status: 413, body: '<html>too big</html>', outcome: { kind: 'too-large' } },
  {
    name: '401: unavailable (the proxy\'s credentials are wrong, not the client\'s data)',
    status: 401,
    body: '{"error":"authorization failed"}',
    outcome: { kind: 'unavailable', reason: "node refused the proxy's credentials (401): authorization failed" },
  },
  {
    name: '403: unavailable',
    status: 403,
    body: '{"error":"\\"proxy\\" user is not authorized to write to database \\"db\\""}',
    outcome: { kind: 'unavailable', reason: 'node refused the proxy\'s credentials (403): "proxy" user is not authorized to write to database "db"' },
  },
  {
    name: '404 without database not found (a wrong URL): unavailable',
    status: 404,
    body: '404 page not found\n',
    outcome: { kind: 'unavailable', reason: 'node answered 404: 404 page not found' },
  },
  {
    name: '500 other error: unavailable',
    status: 500,
    body: '{"error":"timeout"}',
    outcome: { kind: 'unavailable', reason: 'node answered 500: timeout' },
  },
  {
    name: '500 engine error mentioning a retention policy later in the text: unavailable',
    status: 500,
    body: '{"error":"write failed: retention policy not found"}',
    outcome: { kind: 'unavailable', reason: 'node answered 500: write failed: retention policy not found' },
  },
  {
    name: '503 with an empty body: unavailable',
    status: 503,
    body: '',
    outcome: { kind: 'unavailable', reason: 'node answered 503: ' },
  },
  {
    name: '502 with a long HTML page: unavailable, the text cut at 1000 characters',
    status: 502,
    body: `  ${LONG_HTML}  `,
    outcome: { kind: 'unavailable', reason: `node answered 502: ${LONG_HTML.slice(0, 1000)}` },
  },
  {
    name: '429: unavailable (retry later)',
    status: 429,
    body: '{"error":"too many requests"}',
    outcome: { kind: 'unavailable', reason: 'node answered 429: too many requests' },
  },
  {
    name: '301: unavailable (a redirect is not an answer)',
    status: 301,
    body: '',
    outcome: { kind: 'unavailable', reason: 'node answered 301: ' },
  },
];

describe('classifyWriteResponse', () => {
  it.each(RESPONSE_ROWS)('$name', ({ status, body, outcome }) => {
    expect(classifyWriteResponse(status, body)).toEqual(outcome);
  });
});

describe('errorText', () => {
  const rows: { name: string; body: string; text: string }[] = [
    { name: 'the error of a JSON body', body: '{"error":"database not found: \\"x\\""}', text: 'database not found: "x"' },
    { name: 'a JSON body without an error string is shown whole', body: '{"error":42}', text: '{"error":42}' },
    { name: 'a JSON body with another shape is shown whole', body: '{"message":"nope"}', text: '{"message":"nope"}' },
    { name: 'JSON null is shown whole', body: 'null', text: 'null' },
    { name: 'a plain-text body, trimmed', body: '\n  upstream connect error \n', text: 'upstream connect error' },
    { name: 'truncated JSON is plain text', body: '{"error":"unable to', text: '{"error":"unable to' },
  ];
  it.each(rows)('$name', ({ body, text }) => {
    expect(errorText(body)).toBe(text);
  });
});

describe('classifyWriteFailure', () => {
  const rows: { name: string; error: unknown; reason: string }[] = [
    {
      name: 'a system error: its code and message',
      error: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
      reason: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9',
    },
    { name: 'an error without a code: its message', error: new Error('socket hang up'), reason: 'socket hang up' },
    { name: 'something thrown that is not an Error', error: 'boom', reason: 'boom' },
  ];
  it.each(rows)('$name: unavailable', ({ error, reason }) => {
    expect(classifyWriteFailure(error)).toEqual({ kind: 'unavailable', reason });
  });
});

// --- the same rows, answered by real servers

let dir = '';
let influxd: InfluxdServer | undefined;
const nodes: InfluxNode[] = [];
let silent: Server | undefined;
const silentSockets = new Set<Socket>();

const PASSWORD = 'outcome-pw';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'influxring-outcome-'));
  influxd = await startInfluxd({ name: 'outcome', dir: join(dir, 'influxd'), http: ['auth-enabled = true', 'max-body-size = 4096'] });
  // The first user may be created without credentials; everything after needs them.
  for (const q of [`CREATE USER admin WITH PASSWORD '${PASSWORD}' WITH ALL PRIVILEGES`, 'CREATE DATABASE outcome']) {
    const response = await fetch(`${influxd.url}/query?u=admin&p=${PASSWORD}`, { method: 'POST', body: new URLSearchParams({ q }) });
    expect(response.status, await response.text()).toBe(200);
  }
});

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.close()));
  for (const socket of silentSockets) socket.destroy();
  await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
  await influxd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function node(url: string, password = PASSWORD): InfluxNode {
  const created = new InfluxNode({ name: `n${nodes.length}`, url, username: 'admin', password, writeOnly: false }, 'circle-a', 2);
  nodes.push(created);
  return created;
}

function write(target: InfluxNode, body: string, options: { db?: string; rp?: string; timeoutMs?: number } = {}): Promise<NodeOutcome> {
  return target.write({ db: options.db ?? 'outcome', rp: options.rp ?? '', precision: 'n', body: Buffer.from(body), gzipped: false }, options.timeoutMs ?? 5000);
}

function influxdUrl(): string {
  if (!influxd) throw new Error('influxd did not start');
  return influxd.url;
}

describe('a real influxd\'s answers', () => {
  it('a good batch is accepted', async () => {
    expect(await write(node(influxdUrl()), 'm v=1\nm v=2')).toEqual({ kind: 'accepted' });
  });

  it('a bad line is rejected for the request', async () => {
    expect(await write(node(influxdUrl()), 'm v=1\nm v=')).toEqual({
      kind: 'rejected',
      status: 400,
      error: "partial write: unable to parse 'm v=': missing field value dropped=0",
      scope: 'request',
    });
  });

  it('an unknown database is rejected for the whole batch', async () => {
    expect(await write(node(influxdUrl()), 'm v=1', { db: 'nodb' })).toEqual({
      kind: 'rejected',
      status: 404,
      error: 'database not found: "nodb"',
      scope: 'batch',
    });
  });

  it('an unknown retention policy (a 500) is rejected for the whole batch', async () => {
    const outcome = await write(node(influxdUrl()), 'm v=1', { rp: 'norp' });
    expect(outcome).toMatchObject({ kind: 'rejected', status: 500, scope: 'batch' });
    expect(outcome.kind === 'rejected' && outcome.error.startsWith('retention policy not found')).toBe(true);
  });

  it('a batch over max-body-size is too large', async () => {
    const body = Array.from({ length: 1000 }, (_, i) => `m v=${i}`).join('\n');
    expect(Buffer.byteLength(body)).toBeGreaterThan(4096);
    expect(await write(node(influxdUrl()), body)).toEqual({ kind: 'too-large' });
  });

  it('a type conflict is rejected for the request', async () => {
    const target = node(influxdUrl());
    expect(await write(target, 'conflict v=1')).toEqual({ kind: 'accepted' });
    expect(await write(target, 'conflict v="s"')).toEqual({
      kind: 'rejected',
      status: 400,
      error: 'partial write: field type conflict: input field "v" on measurement "conflict" is type string, already exists as type float dropped=1',
      scope: 'request',
    });
  });

  it('a type conflict on a measurement holding a control character is rejected too, not unavailable', async () => {
    // influxd copies its error text, control characters included, into the X-Influxdb-Error header.
    // The line is valid (influxd stores the first point), so the conflict is the client's error like
    // any other: classified as unavailable, the batch would be replayed (and refused) for ever.
    const target = node(influxdUrl());
    expect(await write(target, 'ctl\u0001m v=1')).toEqual({ kind: 'accepted' });
    const outcome = await write(target, 'ctl\u0001m v="s"');
    expect(outcome).toMatchObject({ kind: 'rejected', status: 400, scope: 'request' });
    // undici cannot read the answer's headers, so the node's own text is not available.
    expect(outcome.kind === 'rejected' && outcome.error).toContain('cannot read');
  });

  it('wrong proxy credentials make the node unavailable, not the data bad', async () => {
    const outcome = await write(node(influxdUrl(), 'wrong'), 'm v=1');
    expect(outcome.kind).toBe('unavailable');
    expect(outcome.kind === 'unavailable' && outcome.reason).toMatch(/^node refused the proxy's credentials \(401\): /);
  });
});

describe('real network failures', () => {
  it('a refused connection: unavailable, with the error code', async () => {
    const port = await freePort();
    const outcome = await write(node(`http://127.0.0.1:${port}`), 'm v=1');
    expect(outcome.kind).toBe('unavailable');
    expect(outcome.kind === 'unavailable' && outcome.reason).toMatch(/^ECONNREFUSED: /);
  });

  it('a node that never answers: unavailable after the timeout, with the error code', async () => {
    silent = createServer((socket) => {
      silentSockets.add(socket);
      socket.on('error', () => {});
    });
    const port = await new Promise<number>((resolve) => {
      silent?.listen(0, '127.0.0.1', () => {
        const address = silent?.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
    const outcome = await write(node(`http://127.0.0.1:${port}`), 'm v=1', { timeoutMs: 300 });
    expect(outcome.kind).toBe('unavailable');
    expect(outcome.kind === 'unavailable' && outcome.reason).toMatch(/^UND_ERR_HEADERS_TIMEOUT: /);
  });

  it('a node that closes the connection without answering: unavailable', async () => {
    const closing = createServer((socket) => socket.destroy());
    const port = await new Promise<number>((resolve) => {
      closing.listen(0, '127.0.0.1', () => {
        const address = closing.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
    try {
      const outcome = await write(node(`http://127.0.0.1:${port}`), 'm v=1');
      expect(outcome.kind).toBe('unavailable');
      expect(outcome.kind === 'unavailable' && outcome.reason.length).toBeGreaterThan(0);
    } finally {
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    }
  });
});
