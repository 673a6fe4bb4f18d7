// The `influxring` operation commands followed to their end, with a real worker process: a node added
// with `nodes add`, `rebalance` drawing its progress until the job completes (exit 0) with the data
// moved, and a job that fails printing its reason and last log lines (exit 1).
import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, admin } from './helpers/admin.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { expectAckedEverywhere } from './helpers/load.js';
import { operationsTest } from './helpers/worker.js';

const t = operationsTest();

describe('influxring: operations followed to the end', () => {
  it('nodes add, then rebalance with progress until it completes; a failing job exits 1 with its reason', async () => {
    const { cluster: c } = await t.startOperable([2]);
    const cli = (...args: string[]): Promise<CliResult> => runCli([...args, '--proxy', c.url, '--token', ADMIN_TOKEN], { timeoutMs: 60_000 });
    const load = t.startLoad({ url: c.url, name: 'cli-jobs', measurements: Array.from({ length: 12 }, (_, i) => `cj_${i}`), writers: 2, batchLines: 200 });
    await load.progress(40);

    const extra = await t.startExtraNode(c, 'a3');
    const added = await cli('nodes', 'add', '--circle', 'circle-a', '--name', 'a3', '--url', extra.url);
    expect(added.code, added.stderr).toBe(0);

    const rebalanced = await cli('rebalance', '--circle', 'circle-a');
    console.log('influxring rebalance:', JSON.stringify(rebalanced));
    expect(rebalanced.code, rebalanced.stderr).toBe(0);
    expect(rebalanced.stderr).toMatch(/following job (\d+) \(rebalance of circle circle-a\)/);
    expect(rebalanced.stderr).toMatch(/completed/);
    const id = /following job (\d+)/.exec(rebalanced.stderr)?.[1] as string;
    const job = await admin<{ job: { state: string; result: { moved: number } } }>(c.url, 'GET', `/admin/jobs/${id}`);
    expect(job.body.job.state).toBe('completed');
    expect(job.body.job.result.moved).toBeGreaterThan(0);
    const topology = await admin<{ circles: { members: string[]; next: string[] | null }[] }>(c.url, 'GET', '/admin/topology');
    expect(topology.body.circles[0]).toMatchObject({ members: ['a1', 'a2', 'a3'], next: null });

    // no other circle to rebuild a1 from: the job fails, the command says why and exits 1
    const failed = await cli('recovery', '--node', 'a1');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/no other circle has all its nodes ready to copy from/);

    await load.progress(20);
    await expectAckedEverywhere(load, [[...(c.nodes[0] ?? []), extra]], { noFailedAttempts: true });
  });
});
