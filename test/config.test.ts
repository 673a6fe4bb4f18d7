// Configuration: one schema, a YAML or JSON file, environment overrides, and errors that name the
// bad key (and the variable or file it came from) — checked through loadConfig and through the real
// proxy binary, which must refuse to start on a bad file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, circleSummaries, loadConfig } from '../config/load.js';
import { projectRoot } from '../proxy/version.js';

const CIRCLES = [
  {
    name: 'circle-a',
    nodes: [
      { name: 'a1', url: 'http://127.0.0.1:8086' },
      { name: 'a2', url: 'http://10.0.0.2:8086' },
    ],
  },
  { name: 'circle-b', nodes: [{ name: 'b1', url: 'https://influx-b1.example:8086', username: 'proxy', password: 's3cret' }] },
];

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'influxring-config-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The ConfigError loadConfig throws for these options (fails the test when it does not throw). */
function configError(options: Parameters<typeof loadConfig>[0]): ConfigError {
  try {
    loadConfig(options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('defaults', () => {
  it('fills every other key when only circles are given', () => {
    const config = loadConfig({ env: {}, overrides: { circles: CIRCLES } });
    expect(config).toEqual({
      listen: '127.0.0.1:7076',
      processes: 1,
      redis: { mode: 'standalone', url: 'redis://127.0.0.1:6379', nodes: [], sentinelName: 'mymaster', password: '', keyPrefix: 'irx' },
      ring: { mode: 'ketama', hashKey: 'idx', cacheSize: 100_000 },
      circles: [
        {
          name: 'circle-a',
          nodes: [
            { name: 'a1', url: 'http://127.0.0.1:8086', username: '', password: '', writeOnly: false },
            { name: 'a2', url: 'http://10.0.0.2:8086', username: '', password: '', writeOnly: false },
          ],
        },
        { name: 'circle-b', nodes: [{ name: 'b1', url: 'https://influx-b1.example:8086', username: 'proxy', password: 's3cret', writeOnly: false }] },
      ],
      write: {
        flushLines: 10_000,
        flushBytes: 4 * 1024 * 1024,
        flushAge: 2,
        maxInFlightPerNode: 4,
        maxPendingBytesPerNode: 64 * 1024 * 1024,
        gzip: 'auto',
        gzipLevel: 1,
        gzipMinBytes: 4096,
        nodeTimeout: 10_000,
      },
      limits: { maxBodyBytes: 64 * 1024 * 1024, maxCompressedBodyBytes: 25_000_000, maxLineBytes: 1024 * 1024, requestTimeout: 30_000 },
      replay: { maxBytesPerNode: 1024 ** 3, batchLines: 10_000, batchBytes: 8 * 1024 * 1024, lockTtl: 10_000, retryDelay: 1000, retryAfterSeconds: 5 },
      query: { timeout: 60_000, maxMergeBytes: 256 * 1024 * 1024 },
      rules: [],
      detection: {
        redisUrl: '',
        shards: 16,
        flushInterval: 200,
        batchPoints: 5000,
        maxPendingPoints: 200_000,
        batchTtl: 86_400_000,
        database: 'anomalies',
        proxyUrl: '',
        username: '',
        password: '',
        leaseTtl: 10_000,
        checkpointInterval: 5000,
        idleCurveTtl: 86_400_000,
        historyPrefetch: 60,
        historyTimeout: 60_000,
        webhookTimeout: 5000,
        webhookRetries: 3,
      },
      topology: { pollInterval: 500, heartbeatInterval: 250, proxyTimeout: 5000 },
      admin: { token: '' },
      jobs: { copyBatchLines: 10_000, copyConcurrency: 2, copyRate: 0, lockTtl: 30_000, barrierTimeout: 60_000, keepHistory: 500 },
      health: { interval: 1000, timeout: 2000, probeDatabase: '_influxring', catalogRefresh: 10_000 },
      auth: { enabled: false, users: [] },
      shutdownTimeout: 30_000,
      log: { level: 'info' },
    });
  });

  it('requires circles', () => {
    expect(configError({ env: {} }).message).toMatch(/^\s+circles: /m);
  });
});

describe('files', () => {
  it('reads a YAML file, with sizes and durations as strings', () => {
    const path = file(
      'influxring.yaml',
      [
        'listen: 0.0.0.0:8086',
        'processes: auto',
        'ring:',
        '  mode: influx-proxy',
        '  hashKey: exi',
        'circles:',
        '  - name: circle-a',
        '    nodes:',
        '      - { name: a1, url: "http://127.0.0.1:8086" }',
        'write:',
        '  flushBytes: 1MiB',
        '  maxPendingBytesPerNode: "64MiB"',
        '  flushAge: 500ms',
        '  nodeTimeout: 1s',
        'limits:',
        '  maxCompressedBodyBytes: 25MB',
        '  requestTimeout: 1.5s',
        'replay:',
        '  maxBytesPerNode: 2GiB',
        '  lockTtl: 2m',
        'health:',
        '  catalogRefresh: 1h',
        '  interval: 250',
        '',
      ].join('\n'),
    );
    const config = loadConfig({ file: path, env: {} });
    expect(config.listen).toBe('0.0.0.0:8086');
    expect(config.processes).toBe('auto');
    expect(config.ring).toEqual({ mode: 'influx-proxy', hashKey: 'exi', cacheSize: 100_000 });
    expect(config.circles).toEqual([{ name: 'circle-a', nodes: [{ name: 'a1', url: 'http://127.0.0.1:8086', username: '', password: '', writeOnly: false }] }]);
    expect(config.write.flushBytes).toBe(1024 * 1024);
    expect(config.write.maxPendingBytesPerNode).toBe(64 * 1024 * 1024);
    expect(config.write.flushAge).toBe(500);
    expect(config.write.nodeTimeout).toBe(1000);
    expect(config.limits.maxCompressedBodyBytes).toBe(25_000_000);
    expect(config.limits.requestTimeout).toBe(1500);
    expect(config.replay.maxBytesPerNode).toBe(2 * 1024 ** 3);
    expect(config.replay.lockTtl).toBe(120_000);
    expect(config.health.catalogRefresh).toBe(3_600_000);
    expect(config.health.interval).toBe(250);
  });

  it('reads a JSON file', () => {
    const path = file('influxring.json', JSON.stringify({ listen: '127.0.0.1:9999', circles: CIRCLES, write: { flushLines: 42, gzip: false } }));
    const config = loadConfig({ file: path, env: {} });
    expect(config.listen).toBe('127.0.0.1:9999');
    expect(config.circles.map((circle) => circle.nodes.map((node) => node.name))).toEqual([['a1', 'a2'], ['b1']]);
    expect(config.write.flushLines).toBe(42);
    expect(config.write.gzip).toBe(false);
  });

  it('takes the file from INFLUXRING_CONFIG when none is given', () => {
    const path = file('from-env.json', JSON.stringify({ listen: '127.0.0.1:7777', circles: CIRCLES }));
    expect(loadConfig({ env: { INFLUXRING_CONFIG: path } }).listen).toBe('127.0.0.1:7777');
  });

  it('names the file and the key of a bad value in it', () => {
    const path = file('bad-size.yaml', `circles: ${JSON.stringify(CIRCLES)}\nlimits:\n  maxBodyBytes: 10 parsecs\n`);
    const error = configError({ file: path, env: {} });
    expect(error.code).toBe('IRX_ERR_CONFIG_INVALID');
    expect(error.message).toContain(`limits.maxBodyBytes: expected bytes, e.g. 1048576 or "1MiB" (in ${path})`);
  });

  it('refuses a file that does not exist, naming it', () => {
    const path = join(dir, 'missing.yaml');
    expect(configError({ file: path, env: {} }).message).toContain(`cannot read config file ${path}`);
  });

  it('refuses a file that is not YAML', () => {
    const path = file('broken.yaml', 'circles: [\n  - {name: x\n');
    expect(configError({ file: path, env: {} }).message).toContain(`config file ${path} is not valid YAML or JSON`);
  });

  it('refuses a file without an object at the top level', () => {
    const path = file('list.yaml', '- a\n- b\n');
    expect(configError({ file: path, env: {} }).message).toContain(`config file ${path} must hold an object at the top level`);
  });
});

describe('environment overrides', () => {
  const base = { circles: CIRCLES };

  it('INFLUXRING_LISTEN replaces the file\'s listen address', () => {
    const path = file('listen.json', JSON.stringify({ ...base, listen: '127.0.0.1:1111' }));
    expect(loadConfig({ file: path, env: { INFLUXRING_LISTEN: '0.0.0.0:2222' } }).listen).toBe('0.0.0.0:2222');
  });

  it('INFLUXRING_WRITE_FLUSH_LINES=500 is the number 500', () => {
    expect(loadConfig({ overrides: base, env: { INFLUXRING_WRITE_FLUSH_LINES: '500' } }).write.flushLines).toBe(500);
  });

  it('INFLUXRING_WRITE_GZIP=false is the boolean false', () => {
    expect(loadConfig({ overrides: base, env: { INFLUXRING_WRITE_GZIP: 'false' } }).write.gzip).toBe(false);
  });

  it('INFLUXRING_AUTH_ENABLED=true is the boolean true (and then needs users)', () => {
    const error = configError({ overrides: base, env: { INFLUXRING_AUTH_ENABLED: 'true' } });
    expect(error.message).toContain('auth.users: auth is enabled but no users are configured');
  });

  it('INFLUXRING_REDIS_PASSWORD=123 stays the string "123"', () => {
    expect(loadConfig({ overrides: base, env: { INFLUXRING_REDIS_PASSWORD: '123' } }).redis.password).toBe('123');
  });

  it('INFLUXRING_REDIS_KEY_PREFIX and INFLUXRING_LOG_LEVEL set nested strings', () => {
    const config = loadConfig({ overrides: base, env: { INFLUXRING_REDIS_KEY_PREFIX: 'ring2', INFLUXRING_LOG_LEVEL: 'debug' } });
    expect(config.redis.keyPrefix).toBe('ring2');
    expect(config.log.level).toBe('debug');
  });

  it('INFLUXRING_PROCESSES takes a number or "auto"', () => {
    expect(loadConfig({ overrides: base, env: { INFLUXRING_PROCESSES: '3' } }).processes).toBe(3);
    expect(loadConfig({ overrides: base, env: { INFLUXRING_PROCESSES: 'auto' } }).processes).toBe('auto');
  });

  it('INFLUXRING_CIRCLES holds the circles as JSON', () => {
    const circles = [{ name: 'only', nodes: [{ name: 'o1', url: 'http://127.0.0.1:18086' }] }];
    const config = loadConfig({ overrides: base, env: { INFLUXRING_CIRCLES: JSON.stringify(circles) } });
    expect(config.circles).toEqual([{ name: 'only', nodes: [{ name: 'o1', url: 'http://127.0.0.1:18086', username: '', password: '', writeOnly: false }] }]);
  });

  it('INFLUXRING_REDIS_NODES holds a JSON list', () => {
    const config = loadConfig({ overrides: base, env: { INFLUXRING_REDIS_MODE: 'sentinel', INFLUXRING_REDIS_NODES: '["10.0.0.1:26379","10.0.0.2:26379"]' } });
    expect(config.redis.mode).toBe('sentinel');
    expect(config.redis.nodes).toEqual(['10.0.0.1:26379', '10.0.0.2:26379']);
  });

  it('sizes and durations: "64MiB", "1s", and plain numbers', () => {
    const config = loadConfig({
      overrides: base,
      env: {
        INFLUXRING_WRITE_MAX_PENDING_BYTES_PER_NODE: '64MiB',
        INFLUXRING_LIMITS_MAX_BODY_BYTES: '1000',
        INFLUXRING_HEALTH_INTERVAL: '1s',
        INFLUXRING_REPLAY_RETRY_DELAY: '250',
        INFLUXRING_SHUTDOWN_TIMEOUT: '2m',
      },
    });
    expect(config.write.maxPendingBytesPerNode).toBe(64 * 1024 * 1024);
    expect(config.limits.maxBodyBytes).toBe(1000);
    expect(config.health.interval).toBe(1000);
    expect(config.replay.retryDelay).toBe(250);
    expect(config.shutdownTimeout).toBe(120_000);
  });

  it('an empty variable is ignored', () => {
    const path = file('empty-env.json', JSON.stringify({ ...base, listen: '127.0.0.1:3333' }));
    expect(loadConfig({ file: path, env: { INFLUXRING_LISTEN: '' } }).listen).toBe('127.0.0.1:3333');
  });

  it('names the variable and the key of a bad value', () => {
    const error = configError({ overrides: base, env: { INFLUXRING_WRITE_FLUSH_LINES: 'many' } });
    expect(error.message).toMatch(/^\s+write\.flushLines: .* \(from INFLUXRING_WRITE_FLUSH_LINES\)$/m);
  });

  it('names the variable and the full key path of a bad value inside INFLUXRING_CIRCLES', () => {
    const circles = [{ name: 'c', nodes: [{ name: 'n1', url: 'http://127.0.0.1:1' }, { name: 'n2', url: 'ftp://127.0.0.1:2' }] }];
    const error = configError({ overrides: base, env: { INFLUXRING_CIRCLES: JSON.stringify(circles) } });
    expect(error.message).toMatch(/^\s+circles\.0\.nodes\.1\.url: .* \(from INFLUXRING_CIRCLES\)$/m);
  });

  it('names every bad key at once', () => {
    const error = configError({ overrides: base, env: { INFLUXRING_LISTEN: 'nowhere', INFLUXRING_WRITE_GZIP_LEVEL: '12' } });
    expect(error.message).toMatch(/^\s+listen: expected host:port, e\.g\. 127\.0\.0\.1:7076 \(from INFLUXRING_LISTEN\)$/m);
    expect(error.message).toMatch(/^\s+write\.gzipLevel: .* \(from INFLUXRING_WRITE_GZIP_LEVEL\)$/m);
  });
});

describe('validation errors name the key', () => {
  const cases: { name: string; config: Record<string, unknown>; line: RegExp }[] = [
    {
      name: 'a node URL that is not http(s)',
      config: { circles: [{ name: 'c', nodes: [{ name: 'n1', url: 'http://127.0.0.1:1' }, { name: 'n2', url: 'influx://x' }] }] },
      line: /^\s+circles\.0\.nodes\.1\.url: /m,
    },
    {
      name: 'a node name with a space',
      config: { circles: [{ name: 'c', nodes: [{ name: 'bad name', url: 'http://127.0.0.1:1' }] }] },
      line: /^\s+circles\.0\.nodes\.0\.name: expected 1-63 letters, digits, "_", "\." or "-"$/m,
    },
    {
      name: 'a circle without nodes',
      config: { circles: [{ name: 'c', nodes: [] }] },
      line: /^\s+circles\.0\.nodes: a circle needs at least one node$/m,
    },
    {
      name: 'no circles',
      config: { circles: [] },
      line: /^\s+circles: at least one circle is required$/m,
    },
    {
      name: 'the same node name in two circles',
      config: {
        circles: [
          { name: 'c1', nodes: [{ name: 'n1', url: 'http://127.0.0.1:1' }] },
          { name: 'c2', nodes: [{ name: 'n2', url: 'http://127.0.0.1:2' }, { name: 'n1', url: 'http://127.0.0.1:3' }] },
        ],
      },
      line: /^\s+circles\.1\.nodes\.1\.name: duplicate node name "n1"$/m,
    },
    {
      name: 'the same node name twice in one circle',
      config: { circles: [{ name: 'c1', nodes: [{ name: 'n1', url: 'http://127.0.0.1:1' }, { name: 'n1', url: 'http://127.0.0.1:2' }] }] },
      line: /^\s+circles\.0\.nodes\.1\.name: duplicate node name "n1"$/m,
    },
    {
      name: 'the same circle name twice',
      config: {
        circles: [
          { name: 'c1', nodes: [{ name: 'n1', url: 'http://127.0.0.1:1' }] },
          { name: 'c1', nodes: [{ name: 'n2', url: 'http://127.0.0.1:2' }] },
        ],
      },
      line: /^\s+circles\.1\.name: duplicate circle name "c1"$/m,
    },
    {
      name: 'auth enabled without users',
      config: { circles: CIRCLES, auth: { enabled: true } },
      line: /^\s+auth\.users: auth is enabled but no users are configured$/m,
    },
    {
      name: 'a user whose password is not a hash',
      config: { circles: CIRCLES, auth: { enabled: true, users: [{ name: 'u', passwordHash: 'plain' }] } },
      line: /^\s+auth\.users\.0\.passwordHash: expected a hash from `npm run hash-password`$/m,
    },
    {
      name: 'sentinel mode without seed nodes',
      config: { circles: CIRCLES, redis: { mode: 'sentinel' } },
      line: /^\s+redis\.nodes: redis mode "sentinel" needs seed nodes$/m,
    },
    {
      name: 'an unknown ring mode',
      config: { circles: CIRCLES, ring: { mode: 'rendezvous' } },
      line: /^\s+ring\.mode: /m,
    },
    {
      name: 'a duration with an unknown unit',
      config: { circles: CIRCLES, health: { interval: '1 fortnight' } },
      line: /^\s+health\.interval: expected milliseconds, e\.g\. 500 or "1s"$/m,
    },
    {
      name: 'a negative size',
      config: { circles: CIRCLES, write: { flushBytes: -1 } },
      line: /^\s+write\.flushBytes: /m,
    },
  ];

  it.each(cases)('$name', ({ config, line }) => {
    const error = configError({ env: {}, overrides: config });
    expect(error.message.startsWith('invalid configuration:\n')).toBe(true);
    expect(error.message).toMatch(line);
  });

  it('accepts a user with a hash made by hash-password\'s format', () => {
    const hash = `scrypt$16384$8$1$${Buffer.from('salt-salt-salt!!').toString('base64')}$${Buffer.alloc(32, 7).toString('base64')}`;
    const config = loadConfig({ env: {}, overrides: { circles: CIRCLES, auth: { enabled: true, users: [{ name: 'u', passwordHash: hash }] } } });
    expect(config.auth.users).toEqual([{ name: 'u', passwordHash: hash }]);
  });
});

describe('circleSummaries', () => {
  it('gives one line per circle with its nodes and the ring mode', () => {
    const config = loadConfig({ env: {}, overrides: { circles: CIRCLES, ring: { mode: 'influx-proxy' } } });
    expect(circleSummaries(config)).toEqual([
      'circle circle-a: 2 node(s) [a1 http://127.0.0.1:8086, a2 http://10.0.0.2:8086], ring influx-proxy',
      'circle circle-b: 1 node(s) [b1 https://influx-b1.example:8086], ring influx-proxy',
    ]);
  });

  it('never shows a node password', () => {
    const config = loadConfig({ env: {}, overrides: { circles: CIRCLES } });
    expect(circleSummaries(config).join('\n')).not.toContain('s3cret');
  });
});

describe('the proxy binary', () => {
  /** The environment without any INFLUXRING_ variable of the machine running the tests. */
  function cleanEnv(): NodeJS.ProcessEnv {
    return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('INFLUXRING_')));
  }

  it('exits with code 2 and names the bad key on stderr when the config file is bad', () => {
    const path = file(
      'bad-binary.yaml',
      `circles:\n  - name: c\n    nodes:\n      - { name: n1, url: "http://127.0.0.1:1" }\n      - { name: n2, url: "not a url" }\n`,
    );
    const result = spawnSync(process.execPath, [join(projectRoot(), 'dist', 'proxy', 'main.js'), '--config', path], {
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain('influxring-proxy: invalid configuration:');
    expect(result.stderr).toMatch(new RegExp(`circles\\.0\\.nodes\\.1\\.url: .* \\(in ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
  });

  it('exits with code 2 and names the variable when an environment override is bad', () => {
    const path = file('good-binary.json', JSON.stringify({ circles: CIRCLES }));
    const result = spawnSync(process.execPath, [join(projectRoot(), 'dist', 'proxy', 'main.js'), '--config', path], {
      env: { ...cleanEnv(), INFLUXRING_RING_MODE: 'random' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/ring\.mode: .* \(from INFLUXRING_RING_MODE\)/);
  });
});
