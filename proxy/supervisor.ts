// Multi-core: with `processes` above 1 the primary forks that many proxy processes sharing one port,
// restarts any that dies, answers their requests for cluster-wide metrics, and on SIGTERM/SIGINT stops
// them all gracefully.
import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from 'pino';

interface MetricsRequest {
  type: 'influxring:metrics';
  id: number;
}

interface MetricsReply {
  type: 'influxring:metrics-reply';
  id: number;
  text: string;
}

export function runSupervisor(processes: number, log: Logger): void {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  const fork = (): void => {
    const worker = cluster.fork();
    worker.on('message', (message: MetricsRequest) => {
      if (message?.type !== 'influxring:metrics') return;
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: 'influxring:metrics-reply', id: message.id, text } satisfies MetricsReply),
        (err: Error) => worker.send({ type: 'influxring:metrics-reply', id: message.id, text: `# error: ${err.message}\n` }),
      );
    });
  };
  for (let i = 0; i < processes; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    log.error({ pid: worker.process.pid, code, signal }, 'proxy process died; starting another');
    fork();
  });
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping proxy processes');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** In a forked proxy process: Prometheus text of all processes, asked of the primary. */
export function clusterMetricsText(): () => Promise<string> {
  let nextId = 0;
  const waiting = new Map<number, (text: string) => void>();
  process.on('message', (message: MetricsReply) => {
    if (message?.type !== 'influxring:metrics-reply') return;
    waiting.get(message.id)?.(message.text);
    waiting.delete(message.id);
  });
  return () =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      process.send?.({ type: 'influxring:metrics', id } satisfies MetricsRequest);
    });
}
