// Detection rules through the admin API on real proxies and Redis: seeded once from the configuration
// file (a second proxy with other rules in its file does not replace them), created, replaced, read and
// deleted with PUT/GET/DELETE, validated by the configuration's schema (400 naming the field), and the
// tag filter's syntax.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { parseTagFilter, tagMatcher } from '../config/rule-filter.js';
import { freePort } from '../deploy/local/free-port.js';
import { createLogger } from '../proxy/logger.js';
import { createProxy } from '../proxy/server.js';
import { admin, ADMIN_TOKEN } from './helpers/admin.js';
import { startCluster, type TestCluster } from './helpers/cluster.js';

const SEEDED = { name: 'cpu-spot', db: 'demo', measurement: 'cpu', fields: ['usage_idle'], filter: "host =~ /web.*/ AND region = 'eu'", algorithm: { type: 'bispot' } };

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ circles: [1], config: { admin: { token: ADMIN_TOKEN }, rules: [SEEDED] } });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('rules in Redis', () => {
  it('are seeded from the configuration file with the defaults filled in', async () => {
    const listed = await admin<{ rules: Record<string, unknown>[] }>(cluster.url, 'GET', '/admin/rules');
    expect(listed.status).toBe(200);
    expect(listed.body.rules).toEqual([
      {
        ...SEEDED,
        algorithm: { type: 'bispot', q: 1e-4, level: 0.98, calibration: 1000, maxPeaks: 200, onset: 0 },
        webhooks: [],
        cooldown: 600_000,
        enabled: true,
      },
    ]);
  });

  it('are not seeded again by a proxy whose file has other rules: Redis has the say', async () => {
    const port = await freePort();
    const other = await createProxy({ ...cluster.config, listen: `127.0.0.1:${port}`, rules: loadConfig({ env: {}, overrides: { circles: [{ name: 'x', nodes: [{ name: 'x1', url: 'http://127.0.0.1:1' }] }], rules: [{ ...SEEDED, name: 'other' }] } }).rules }, { log: createLogger('warn') });
    await other.listen();
    try {
      const listed = await admin<{ rules: { name: string }[] }>(`http://127.0.0.1:${port}`, 'GET', '/admin/rules');
      expect(listed.body.rules.map((rule) => rule.name)).toEqual(['cpu-spot']);
    } finally {
      await other.close();
    }
  });

  it('PUT creates (201) and replaces (200), GET shows, DELETE removes (then 404)', async () => {
    const body = { db: 'demo', measurement: 'mem', fields: ['used'], algorithm: { type: 'metis-value' }, webhooks: ['http://127.0.0.1:9/hook'], cooldown: '1m' };
    const created = await admin<Record<string, unknown>>(cluster.url, 'PUT', '/admin/rules/mem-metis', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'mem-metis', algorithm: { type: 'metis-value', votes: 2, polynomialThreshold: 0.15 }, cooldown: 60_000, filter: '' });
    const replaced = await admin(cluster.url, 'PUT', '/admin/rules/mem-metis', { ...body, name: 'mem-metis', enabled: false });
    expect(replaced.status).toBe(200);
    expect((await admin<{ enabled: boolean }>(cluster.url, 'GET', '/admin/rules/mem-metis')).body.enabled).toBe(false);
    expect((await admin<{ rules: { name: string }[] }>(cluster.url, 'GET', '/admin/rules')).body.rules.map((r) => r.name)).toEqual(['cpu-spot', 'mem-metis']);
    expect(await admin(cluster.url, 'DELETE', '/admin/rules/mem-metis')).toEqual({ status: 200, body: { deleted: 'mem-metis' } });
    expect(await admin(cluster.url, 'DELETE', '/admin/rules/mem-metis')).toEqual({ status: 404, body: { error: 'no rule named mem-metis', code: 'IRX_ERR_ADMIN_NOT_FOUND' } });
    expect((await admin(cluster.url, 'GET', '/admin/rules/mem-metis')).status).toBe(404);
  });

  it('invalid rules get 400 naming what is wrong', async () => {
    const base = { db: 'demo', measurement: 'cpu', fields: ['v'], algorithm: { type: 'spot' } };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...base, filter: 'host ~ web' }, /filter: cannot read a condition at "host ~ web"/],
      [{ ...base, filter: "host =~ 'web'" }, /=~ takes a \/regex\//],
      [{ ...base, filter: 'host =~ /web(/' }, /filter: .*Invalid regular expression/],
      [{ ...base, algorithm: { type: 'holt-winters' } }, /algorithm/],
      [{ ...base, algorithm: { type: 'spot', q: 2 } }, /algorithm\.q/],
      [{ ...base, fields: [] }, /fields/],
      [{ ...base, cooldown: 'soon' }, /cooldown/],
      [{ ...base, webhooks: ['ftp://x'] }, /webhooks\.0/],
      [{ ...base, colour: 'red' }, /colour/],
      [{ ...base, name: 'another' }, /differs from the name in the path/],
      [{ ...base, algorithm: { type: 'seasonal-esd' } }, /algorithm\.period/],
    ];
    for (const [body, message] of cases) {
      const answer = await admin<{ error: string; code: string }>(cluster.url, 'PUT', '/admin/rules/bad', body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.code).toBe('IRX_ERR_ADMIN_INVALID');
      expect(answer.body.error, JSON.stringify(body)).toMatch(message);
    }
    expect((await admin(cluster.url, 'GET', '/admin/rules/bad')).status).toBe(404);
    expect((await admin(cluster.url, 'PUT', '/admin/rules/cpu-spot', base, null)).status).toBe(401);
  });

  it('the configuration file refuses two rules of one name, and a bad filter, naming the key', () => {
    const circles = [{ name: 'x', nodes: [{ name: 'x1', url: 'http://127.0.0.1:1' }] }];
    expect(() => loadConfig({ env: {}, overrides: { circles, rules: [SEEDED, SEEDED] } })).toThrow(/rules\.1\.name: rule cpu-spot appears twice/);
    expect(() => loadConfig({ env: {}, overrides: { circles, rules: [{ ...SEEDED, filter: 'host' }] } })).toThrow(/rules\.0\.filter/);
  });
});

describe('tag filters', () => {
  it('parse InfluxQL-like conditions and match tag sets (a missing tag is the empty string)', () => {
    const conditions = parseTagFilter(`host =~ /web.*/ and "data center" != 'eu\\'s' AND env !~ /^test/`);
    expect(conditions).toEqual([
      { tag: 'host', op: '=~', value: 'web.*' },
      { tag: 'data center', op: '!=', value: "eu's" },
      { tag: 'env', op: '!~', value: '^test' },
    ]);
    const matches = tagMatcher(conditions);
    expect(matches({ host: 'web-1', 'data center': 'us', env: 'prod' })).toBe(true);
    expect(matches({ host: 'db-1', env: 'prod' })).toBe(false);
    expect(matches({ host: 'web-1', 'data center': "eu's" })).toBe(false);
    expect(matches({ host: 'web-1', env: 'test-2' })).toBe(false);
    expect(parseTagFilter('  ')).toEqual([]);
    expect(() => parseTagFilter("host = 'a' region = 'b'")).toThrow(/expected AND/);
  });
});
