// What the `influxring` CLI says when it cannot do what it is asked, run as a child process without a
// cluster: help, unknown commands and options (exit 2), no proxy configured (exit 2), and a proxy that
// does not answer (exit 1) — always one line naming what to change, never a stack trace. The wrong or
// missing admin token needs a proxy: see cli-admin.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../deploy/local/free-port.js';
import { COMMANDS } from '../cli/commands.js';
import { runCli } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'influxring-cli-errors-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** One line, no stack trace. */
function oneLine(stderr: string): string {
  expect(stderr.endsWith('\n')).toBe(true);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return stderr.trimEnd();
}

describe('influxring: help', () => {
  it('--help lists every command, exit 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: influxring <command> \[options\]$/m);
    for (const command of COMMANDS) expect(result.stdout).toMatch(new RegExp(`^  ${command.name} +\\S`, 'm'));
  });

  it('without a command prints the help on stderr, exit 2', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^Commands:$/m);
  });

  it('<command> --help shows its usage and options, exit 0', async () => {
    const result = await runCli(['nodes', 'set', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: influxring nodes set NAME /);
    expect(result.stdout).toMatch(/^ {2}--maintenance true\|false +out for maintenance/m);
    expect(result.stdout).toMatch(/^ {2}--proxy URL +proxy URL/m);
    const help = await runCli(['help', 'import']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: influxring import FILE --db DB /);
  });

  it('--version prints the version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^influxring \d+\.\d+\.\d+\n$/);
  });
});

describe('influxring: bad command lines exit 2 with one line', () => {
  it.each([
    [['stauts'], 'influxring: unknown command "stauts" (did you mean status?); see influxring --help'],
    [['frobnicate'], 'influxring: unknown command "frobnicate"; see influxring --help'],
    [['nodes', 'remove', 'a1'], 'influxring nodes: unknown command "nodes remove" (nodes commands: nodes, nodes add, nodes rm, nodes set); see influxring nodes --help'],
    [['--proxy', 'http://x', 'status'], 'influxring: the command comes first: influxring <command> [options] (got --proxy); see influxring --help'],
    [['status', '--colour'], 'influxring status: unknown option --colour; see influxring status --help'],
    [['status', '-x'], 'influxring status: unknown option -x; see influxring status --help'],
    [['status', '--proxy'], 'influxring status: --proxy needs a value; see influxring status --help'],
    [['status', 'extra'], 'influxring status: unexpected argument: extra; see influxring status --help'],
    [['jobs', 'show'], 'influxring jobs show: missing ID; see influxring jobs show --help'],
    [['rebalance', '--detach'], 'influxring rebalance: --circle is required: the circle to rebalance; see influxring rebalance --help'],
    [['circles', 'add', 'c', '--node', 'c1'], 'influxring circles add: --node "c1": write NAME=URL, e.g. --node c1=http://10.0.0.7:8086; see influxring circles add --help'],
    [['status', '--proxy', 'localhost:7076'], 'influxring status: proxy URL "localhost:7076" (from --proxy) must start with http:// or https://; see influxring status --help'],
    [['import', '--db', 'demo'], 'influxring import: which file? influxring import FILE --db DB --measurement NAME (FILE may be - for stdin); see influxring import --help'],
  ])('%j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(oneLine(result.stderr)).toBe(message);
  });

  it('no proxy anywhere: says where it looked, exit 2', async () => {
    const empty = mkdtempSync(join(dir, 'local-'));
    const result = await runCli(['status'], { env: { INFLUXRING_LOCAL_DIR: empty } });
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toBe(
      `influxring status: no proxy to talk to: give --proxy http://HOST:PORT, set INFLUXRING_PROXY_URL, or start the local cluster with npm start (no ${join(empty, 'cluster.json')})`,
    );
  });
});

describe('influxring: a proxy that does not answer', () => {
  it('names the URL and that it came from --proxy, exit 1', async () => {
    const port = await freePort();
    const result = await runCli(['status', '--proxy', `http://127.0.0.1:${port}`, '--token', 't']);
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toBe(
      `influxring status: cannot reach the proxy at http://127.0.0.1:${port} (from --proxy): connect ECONNREFUSED 127.0.0.1:${port}; is it running? Start the local cluster with npm start, or point at a proxy with --proxy or INFLUXRING_PROXY_URL`,
    );
  });

  it('names INFLUXRING_PROXY_URL when the URL came from there', async () => {
    const port = await freePort();
    const result = await runCli(['nodes'], { env: { INFLUXRING_PROXY_URL: `http://127.0.0.1:${port}/` } });
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toMatch(new RegExp(`^influxring nodes: cannot reach the proxy at http://127\\.0\\.0\\.1:${port} \\(from INFLUXRING_PROXY_URL\\): connect ECONNREFUSED`));
  });

  it('names the local cluster file when the URL came from there', async () => {
    const port = await freePort();
    const local = mkdtempSync(join(dir, 'local-'));
    writeFileSync(join(local, 'cluster.json'), JSON.stringify({ proxyUrl: `http://127.0.0.1:${port}`, adminToken: 't' }));
    const result = await runCli(['status'], { env: { INFLUXRING_LOCAL_DIR: local } });
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toContain(`cannot reach the proxy at http://127.0.0.1:${port} (from ${join(local, 'cluster.json')})`);
  });

  it('import says so before reading the file', async () => {
    const port = await freePort();
    const file = join(dir, 'data.csv');
    writeFileSync(file, 'time,value\n2024-05-01T12:00:00Z,1\n');
    const result = await runCli(['import', file, '--db', 'demo', '--measurement', 'm', '--proxy', `http://127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(oneLine(result.stderr)).toMatch(new RegExp(`^influxring import: cannot reach the proxy at http://127\\.0\\.0\\.1:${port} \\(from --proxy\\)`));
  });

  it('import of a file that does not exist says so', async () => {
    const result = await runCli(['import', join(dir, 'nope.csv'), '--db', 'demo', '--measurement', 'm', '--proxy', 'http://127.0.0.1:1']);
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toBe(`influxring import: cannot read ${join(dir, 'nope.csv')}: ENOENT: no such file or directory, open '${join(dir, 'nope.csv')}'`);
  });
});
