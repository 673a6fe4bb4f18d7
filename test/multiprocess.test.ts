// processes > 1: several proxy processes share one port; /metrics covers all of them; SIGTERM to the
// supervisor stops them all after their writes finish, with exit code 0.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './helpers/cluster.js';
import { count, write } from './helpers/influx.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ circles: [1, 1], proxyProcess: true, config: { processes: 2 } });
});

afterAll(async () => {
  await cluster?.stop();
});

function metric(text: string, name: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('multi-process proxy', () => {
  it('serves from several processes and reports their metrics together', async () => {
    let points = 0;
    // `connection: close`: each request is a new connection, handed to either process.
    for (let i = 0; i < 40; i++) {
      const lines = Array.from({ length: 5 }, (_, j) => `mp,i=${i} v=${j} 17000000000${String(i * 10 + j).padStart(8, '0')}`).join('\n');
      const response = await write(cluster.url, '/write?db=demo', lines, { connection: 'close' });
      expect(response.status, response.text).toBe(204);
      points += 5;
    }
    for (const circle of cluster.nodes) {
      expect(await count((circle[0] as { url: string }).url, 'demo', 'mp')).toBe(points);
    }
    const text = await (await fetch(`${cluster.url}/metrics`)).text();
    expect(metric(text, 'influxring_points_received_total{endpoint="/write"}')).toBe(points);
    // Counters are summed over the processes.
    expect(metric(text, 'influxring_points_written_total{node="a1"}')).toBe(points);
    const proc = cluster.proxyProcess;
    expect(proc).not.toBeNull();
    const children = execFileSync('pgrep', ['-P', String(proc?.child.pid)]).toString().trim().split('\n');
    expect(children.length).toBe(2);
  });

  it('stops every process on SIGTERM with exit code 0', async () => {
    const proc = cluster.proxyProcess;
    if (proc === null) throw new Error('no proxy process');
    const children = execFileSync('pgrep', ['-P', String(proc.child.pid)]).toString().trim().split('\n');
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    for (const pid of children) {
      expect(() => process.kill(Number(pid), 0)).toThrow();
    }
    cluster.proxyProcess = null;
  });
});
