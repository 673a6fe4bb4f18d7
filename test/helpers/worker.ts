// A worker process (dist/worker/main.js) for a test cluster, with the cluster's configuration file,
// and the steps of an operation through the admin API: add a node, run a job to its end.
import { join } from 'node:path';
import { expect } from 'vitest';
import { startProcess, type OwnedProcess } from '../../deploy/local/child-process.js';
import { startInfluxd, type InfluxdServer } from '../../deploy/local/influxd.js';
import { projectRoot } from '../../proxy/version.js';
import { admin, ADMIN_TOKEN, waitForJob, type JobState } from './admin.js';
import type { TestCluster } from './cluster.js';
import { measurements } from './influx.js';
import { faultTest, type FaultTest } from './load.js';

/** `env`: INFLUXRING_* settings over the configuration file's. */
export function startWorker(cluster: TestCluster, name = 'worker', env: Record<string, string> = {}): OwnedProcess {
  return startProcess(name, process.execPath, [join(projectRoot(), 'dist', 'worker', 'main.js'), '--config', cluster.configFile], join(cluster.dir, `${name}.log`), {
    ...process.env,
    INFLUXRING_CONFIG: '',
    ...env,
  });
}

/** A fault test that also runs workers and extra influxd nodes, stopped first in its cleanup. */
export interface OperationsTest extends FaultTest {
  /**
   * A cluster ready for operations: the admin API on (ADMIN_TOKEN), jobs.barrierTimeout 20 s, `config`
   * over that, the database demo created through the proxy (so it is in the catalog and a node that
   * joins gets it first), and a worker.
   */
  startOperable(circles: number[], config?: Record<string, unknown>): Promise<{ cluster: TestCluster; worker: OwnedProcess }>;
  startWorker(cluster: TestCluster, name?: string, env?: Record<string, string>): OwnedProcess;
  /** An influxd that is not in the topology yet (to add), in the cluster's directory. */
  startExtraNode(cluster: TestCluster, name: string): Promise<InfluxdServer>;
}

export function operationsTest(): OperationsTest {
  const workers: OwnedProcess[] = [];
  const extras: InfluxdServer[] = [];
  const t = faultTest({
    first: async () => {
      for (const worker of workers.splice(0)) await worker.stop();
      for (const node of extras.splice(0)) await node.stop();
    },
  });
  const startWorkerOf = (cluster: TestCluster, name = 'worker', env: Record<string, string> = {}): OwnedProcess => {
    const worker = startWorker(cluster, name, env);
    workers.push(worker);
    return worker;
  };
  return Object.assign(t, {
    async startOperable(circles: number[], config: Record<string, unknown> = {}): Promise<{ cluster: TestCluster; worker: OwnedProcess }> {
      const cluster = await t.startCluster({ circles, config: { admin: { token: ADMIN_TOKEN }, jobs: { barrierTimeout: '20s' }, ...config } });
      const created = await fetch(`${cluster.url}/query`, { method: 'POST', body: new URLSearchParams({ q: 'CREATE DATABASE demo' }) });
      expect(created.status).toBe(200);
      return { cluster, worker: startWorkerOf(cluster) };
    },
    startWorker: startWorkerOf,
    async startExtraNode(cluster: TestCluster, name: string): Promise<InfluxdServer> {
      const node = await startInfluxd({ name, dir: join(cluster.dir, name) });
      extras.push(node);
      return node;
    },
  });
}

/** Starts a job and waits for it to end; expects it completed unless told otherwise. */
export async function runJob(url: string, request: Record<string, unknown>, expectState: 'completed' | 'failed' = 'completed', timeoutMs = 120_000): Promise<{ job: JobState; logs: string[] }> {
  const started = await admin<JobState>(url, 'POST', '/admin/jobs', request);
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  const ended = await waitForJob(url, started.body.id, timeoutMs);
  expect(ended.job.state, `${JSON.stringify(ended.job)}\n${ended.logs.join('\n')}`).toBe(expectState);
  return ended;
}

/** The measurements each node holds in `db`, by node name. */
export async function measurementsByNode(nodes: readonly { name: string; url: string }[], db: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const node of nodes) out[node.name] = await measurements(node.url, db);
  return out;
}
