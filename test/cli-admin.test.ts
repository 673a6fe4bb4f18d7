// The `influxring` admin commands, run as a user runs them (the built CLI as a child process) against a
// real cluster (redis-server, two influxd, a proxy with an admin token): status, circles, nodes,
// replica, adding and removing a node, maintenance, jobs started detached, listed, shown and
// cancelled, Ctrl-C while following a job, and the token found in a flag, the environment or the
// local cluster file — or missing, or wrong.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../deploy/local/free-port.js';
import { startInfluxd, type InfluxdServer } from '../deploy/local/influxd.js';
import { createLogger } from '../proxy/logger.js';
import { createProxy } from '../proxy/server.js';
import { ADMIN_TOKEN } from './helpers/admin.js';
import { finished, runCli, spawnCli, waitForStderr, type CliResult } from './helpers/cli.js';
import { startCluster, type TestCluster } from './helpers/cluster.js';
import { waitUntil } from './helpers/load.js';

let cluster: TestCluster;
let extra: InfluxdServer;
const extraDir = mkdtempSync(join(tmpdir(), 'influxring-cli-a3-'));

beforeAll(async () => {
  [cluster, extra] = await Promise.all([startCluster({ circles: [2], config: { admin: { token: ADMIN_TOKEN } } }), startInfluxd({ name: 'a3', dir: extraDir })]);
});

afterAll(async () => {
  await extra?.stop();
  await cluster?.stop();
  rmSync(extraDir, { recursive: true, force: true });
});

/** Runs the CLI against the test cluster with the admin token. */
function cli(...args: string[]): Promise<CliResult> {
  return runCli([...args, '--proxy', cluster.url, '--token', ADMIN_TOKEN]);
}

/** A run that must succeed: its stdout. */
async function ok(...args: string[]): Promise<string> {
  const result = await cli(...args);
  expect(result.stderr, `influxring ${args.join(' ')}`).not.toMatch(/error|at .*\.js:\d+/i);
  expect(result.code, `influxring ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** The table row that starts with `first`, split on runs of spaces. */
function row(table: string, first: string): string[] {
  const line = table.split('\n').find((l) => l.startsWith(`${first} `));
  if (line === undefined) throw new Error(`no row ${first} in:\n${table}`);
  return line.split(/\s{2,}/);
}

describe('influxring: reading the cluster', () => {
  it('status shows the circles, nodes, proxies, workers and jobs', async () => {
    const out = await ok('status');
    expect(out).toMatch(/^Proxy\s+http:\/\/127\.0\.0\.1:\d+ \(from --proxy\)$/m);
    expect(out).toMatch(/^Proxies\s+1 live, all on version \d+$/m);
    expect(out).toMatch(/^Workers\s+0$/m);
    expect(out).toMatch(/^Jobs\s+none waiting or running$/m);
    expect(row(out, 'circle-a')).toEqual(['circle-a', 'a1, a2', '-', '-', '2/2']);
    expect(row(out, 'a1')).toEqual(['a1', 'circle-a', 'member', 'yes', '0', 'converged', '0']);
    expect(row(out, 'a2').slice(0, 4)).toEqual(['a2', 'circle-a', 'member', 'yes']);
  });

  it('status --json prints the admin API answers', async () => {
    const json = JSON.parse(await ok('status', '--json')) as { health: { nodes: { name: string }[]; workers: number }; circles: { circles: { name: string }[] }; jobs: { jobs: unknown[] } };
    expect(json.health.nodes.map((n) => n.name)).toEqual(['a1', 'a2']);
    expect(json.health.workers).toBe(0);
    expect(json.circles.circles.map((c) => c.name)).toEqual(['circle-a']);
    expect(json.jobs.jobs).toEqual([]);
  });

  it('status with no options finds the proxy and the token in the local cluster file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'influxring-cli-cluster-'));
    try {
      writeFileSync(join(dir, 'cluster.json'), JSON.stringify({ proxyUrl: cluster.url, adminToken: ADMIN_TOKEN }));
      const result = await runCli(['status'], { env: { INFLUXRING_LOCAL_DIR: dir } });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Proxy      ${cluster.url} (from ${join(dir, 'cluster.json')})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes the proxy and the token from the environment', async () => {
    const result = await runCli(['circles'], { env: { INFLUXRING_PROXY_URL: cluster.url, INFLUXRING_ADMIN_TOKEN: ADMIN_TOKEN } });
    expect(result.code).toBe(0);
    expect(row(result.stdout, 'circle-a')).toEqual(['circle-a', 'a1, a2', '-', '-', '2/2', 'a1, a2']);
  });

  it('circles and nodes list the topology; --json prints it raw', async () => {
    expect((await ok('circles')).split('\n')[0]).toMatch(/^CIRCLE\s+MEMBERS\s+NEXT\s+PHASE\s+ACTIVE\s+NODES$/);
    const nodes = await ok('nodes');
    expect(row(nodes, 'a1')).toEqual(['a1', 'circle-a', 'member', cluster.node('a1').url, '-', 'yes', '0']);
    expect(row(nodes, 'a2')).toEqual(['a2', 'circle-a', 'member', cluster.node('a2').url, '-', 'yes', '0']);
    const json = JSON.parse(await ok('nodes', '--json')) as { nodes: { name: string; role: string; active: boolean }[] };
    expect(json.nodes.map((n) => [n.name, n.role, n.active])).toEqual([
      ['a1', 'member', true],
      ['a2', 'member', true],
    ]);
  });

  it('replica names the owner of a measurement', async () => {
    const owner = cluster.proxy?.cluster.topology.circles[0]?.owner('demo,cpu').name as string;
    const out = await ok('replica', '--db', 'demo', '--measurement', 'cpu');
    expect(out.split('\n')[0]).toMatch(/^demo\.cpu \(shard key demo,cpu, topology version \d+\)$/);
    expect(row(out, 'circle-a')).toEqual(['circle-a', owner, owner, '-', '-', 'no']);
    const json = JSON.parse(await ok('replica', '--db', 'demo', '--measurement', 'cpu', '--json')) as { circles: { owner: string }[] };
    expect(json.circles[0]?.owner).toBe(owner);
  });

  it('says what is missing from replica', async () => {
    const result = await cli('replica', '--db', 'demo');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('influxring replica: --measurement is required: the measurement; see influxring replica --help\n');
  });
});

describe('influxring: changing the cluster', () => {
  it('nodes add joins a node to the next ring; nodes rm takes it out again', async () => {
    const added = await ok('nodes', 'add', '--circle', 'circle-a', '--name', 'a3', '--url', extra.url);
    expect(added).toContain('node a3 added to circle-a (joining)');
    expect(added).toContain('influxring rebalance --circle circle-a');
    expect(row(await ok('nodes'), 'a3').slice(0, 4)).toEqual(['a3', 'circle-a', 'joining', extra.url]);
    expect(row(await ok('circles'), 'circle-a').slice(0, 4)).toEqual(['circle-a', 'a1, a2', 'a1, a2, a3', 'copy']);

    const removed = await ok('nodes', 'rm', 'a3');
    expect(removed).toBe('node a3 removed from circle-a\n');
    expect(await ok('nodes')).not.toMatch(/^a3 /m);
    expect(row(await ok('circles'), 'circle-a')).toEqual(['circle-a', 'a1, a2', '-', '-', '2/2', 'a1, a2']);
  });

  it('refusals of the admin API are one line: an unknown node, a node name taken', async () => {
    const unknown = await cli('nodes', 'rm', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('influxring nodes rm: no node named nope\n');
    const taken = await cli('nodes', 'add', '--circle', 'circle-a', '--name', 'a1', '--url', extra.url);
    expect(taken.code).toBe(1);
    expect(taken.stderr.split('\n')).toHaveLength(2);
    expect(taken.stderr).toMatch(/^influxring nodes add: .*a1/);
  });

  it('nodes set --maintenance takes a node out of reads and back', async () => {
    const on = await ok('nodes', 'set', 'a2', '--maintenance', 'true');
    expect(on).toBe('node a2 (circle-a, member): maintenance; not active: is out for maintenance\n');
    expect(row(await ok('nodes'), 'a2').slice(4)).toEqual(['maintenance', 'no', '0', 'is out for maintenance']);
    const off = await ok('nodes', 'set', 'a2', '--maintenance', 'false');
    expect(off).toMatch(/^node a2 \(circle-a, member\): no flags; /);
    await waitUntil('a2 active again', async () => row(await ok('nodes'), 'a2')[5] === 'yes', 10_000);
  });

  it('nodes set refuses a value that is not true or false, and a call with nothing to change', async () => {
    const bad = await cli('nodes', 'set', 'a2', '--maintenance', 'maybe');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--maintenance takes true or false (got "maybe")');
    const nothing = await cli('nodes', 'set', 'a2');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/nothing to change/);
  });
});

describe('influxring: jobs', () => {
  it('jobs says there are none', async () => {
    expect(await ok('jobs')).toBe('no jobs\n');
  });

  it('rebalance --detach prints the job id; jobs lists it waiting; jobs show and jobs cancel', async () => {
    const started = await cli('rebalance', '--circle', 'circle-a', '--detach');
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^\d+\n$/);
    const id = started.stdout.trim();
    expect(started.stderr).toContain(`started job ${id} (rebalance of circle circle-a)`);

    expect(row(await ok('jobs'), id)).toEqual([id, 'rebalance of circle circle-a', 'waiting for a worker', '-', expect.stringMatching(/^\d{4}-\d\d-\d\dT/)]);
    const listed = JSON.parse(await ok('jobs', '--json')) as { jobs: { id: string; state: string; type: string }[] };
    expect(listed.jobs).toEqual([expect.objectContaining({ id, state: 'waiting', type: 'rebalance' })]);

    const shown = await ok('jobs', 'show', id);
    expect(shown).toMatch(new RegExp(`^job\\s+${id}$`, 'm'));
    expect(shown).toMatch(/^state\s+waiting for a worker$/m);
    expect(shown).toMatch(/^log: \(empty\)$/m);

    // one job per circle at a time: a second one is refused with the admin API's reason
    const second = await cli('rebalance', '--circle', 'circle-a', '--detach');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`^influxring rebalance: job ${id} \\(rebalance\\) already works on circle circle-a`));

    expect(await ok('jobs', 'cancel', id)).toBe(`job ${id} (rebalance of circle circle-a) cancelled: it had not started\n`);
    expect(await ok('jobs')).toBe('no jobs\n');
  });

  it('Ctrl-C while following a job stops following and says how to cancel it', async () => {
    const child = spawnCli(['cleanup', '--circle', 'circle-a', '--proxy', cluster.url, '--token', ADMIN_TOKEN]);
    await waitForStderr(child, /following job \d+ \(cleanup of circle circle-a\)/);
    child.kill('SIGINT');
    const result = await finished(child);
    expect(result.code).toBe(130);
    const id = /following job (\d+)/.exec(result.stderr)?.[1] as string;
    expect(result.stderr).toContain(`influxring cleanup: stopped following job ${id}; it goes on in its worker. Cancel it with: influxring jobs cancel ${id}\n`);
    // the job is still there, waiting
    expect(row(await ok('jobs'), id)[2]).toBe('waiting for a worker');
    await ok('jobs', 'cancel', id);
  });

  it('recovery needs a node or a circle; an unknown circle is refused by the proxy', async () => {
    const neither = await cli('recovery');
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give either --node NODE or --circle CIRCLE');
    const unknown = await cli('rebalance', '--circle', 'nope', '--detach');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('influxring rebalance: no circle named nope\n');
  });

  it('jobs show of an unknown job is one line', async () => {
    const result = await cli('jobs', 'show', '999999');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('influxring jobs show: no job 999999\n');
  });
});

describe('influxring: the admin token', () => {
  it('without a token: one line saying so, exit 1', async () => {
    const result = await runCli(['status', '--proxy', cluster.url]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `influxring status: the admin API at ${cluster.url} needs a token and none was given: pass --token TOKEN or set INFLUXRING_ADMIN_TOKEN (the proxy's admin.token)\n`,
    );
  });

  it('with a wrong token: one line naming where the token came from, exit 1', async () => {
    const flag = await runCli(['nodes', '--proxy', cluster.url, '--token', 'not-the-token']);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toBe(`influxring nodes: the admin API at ${cluster.url} refused the token (from --token): it is not the proxy's admin.token\n`);
    const env = await runCli(['nodes', '--proxy', cluster.url], { env: { INFLUXRING_ADMIN_TOKEN: 'not-the-token' } });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('refused the token (from INFLUXRING_ADMIN_TOKEN)');
  });
});

describe('influxring: the admin API off', () => {
  it('says how to turn it on, exit 1', async () => {
    const port = await freePort();
    const off = await createProxy({ ...cluster.config, listen: `127.0.0.1:${port}`, admin: { token: '' } }, { log: createLogger('warn') });
    await off.listen();
    try {
      const result = await runCli(['circles', '--proxy', `http://127.0.0.1:${port}`, '--token', ADMIN_TOKEN]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`influxring circles: the admin API of the proxy at http://127.0.0.1:${port} is off: start the proxy with admin.token set (INFLUXRING_ADMIN_TOKEN)\n`);
    } finally {
      await off.close();
    }
  });
});

describe('influxring: adding a circle', () => {
  it('circles add adds a circle whose nodes serve reads once filled', async () => {
    const out = await ok('circles', 'add', 'circle-z', '--node', `z1=${extra.url}`);
    expect(out).toBe('circle circle-z added with nodes z1; they take writes now and serve reads once filled: influxring recovery --circle circle-z\n');
    expect(row(await ok('circles'), 'circle-z')).toEqual(['circle-z', 'z1', '-', '-', '0/1', 'z1']);
    const status = await ok('status');
    expect(row(status, 'z1').slice(0, 4)).toEqual(['z1', 'circle-z', 'member', 'no']);
    const taken = await cli('circles', 'add', 'circle-z', '--node', `z2=${extra.url}`);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^influxring circles add: .*circle-z/);
  });
});
