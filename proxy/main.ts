#!/usr/bin/env node
// The proxy's entry point: `influxring-proxy [--config FILE]` runs the proxy (one process, or one per
// core behind one port); `influxring-proxy hash-password [PASSWORD]` prints a password hash for the
// config's `auth.users` (reads the password from stdin when not given).
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry } from 'prom-client';
import { circleSummaries } from '../config/load.js';
import { hashPassword } from './auth.js';
import { createLogger } from './logger.js';
import { configFromArgs, stopOnSignals } from './process-lifecycle.js';
import { createProxy } from './server.js';
import { clusterMetricsText, runSupervisor } from './supervisor.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'hash-password') {
    const password = argv[1] ?? (await readStdin());
    if (password === '') throw new Error('hash-password: empty password');
    process.stdout.write(`${await hashPassword(password)}\n`);
    return;
  }
  const config = configFromArgs(argv, 'influxring-proxy');
  const log = createLogger(config.log.level);
  const processes = config.processes === 'auto' ? availableParallelism() : config.processes;

  if (processes > 1 && cluster.isPrimary) {
    for (const line of circleSummaries(config)) log.info(line);
    log.info({ processes, listen: config.listen }, 'starting proxy processes');
    runSupervisor(processes, log);
    return;
  }
  if (!cluster.isWorker) for (const line of circleSummaries(config)) log.info(line);
  let metricsText;
  if (cluster.isWorker) {
    const registryText = clusterMetricsText();
    metricsText = () => registryText();
  }
  const proxy = await createProxy(config, { log, metricsText });
  if (cluster.isWorker) {
    // Constructing an AggregatorRegistry in a worker makes prom-client answer the primary's
    // requests for this process's metrics.
    void new AggregatorRegistry();
    AggregatorRegistry.setRegistries([proxy.metrics.registry]);
  }
  const address = await proxy.listen();
  log.info({ address }, 'proxy listening');
  stopOnSignals(log, 'stopping: finishing writes in flight', () => proxy.close());
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`influxring-proxy: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
