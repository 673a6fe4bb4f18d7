#!/usr/bin/env node
// The worker's entry point: `influxring-worker [--config FILE]` runs the admin jobs (rebalance,
// recovery, resync, cleanup) that proxies queue, and detection on its share of the detection shards,
// with the same configuration file as the proxy. Run as many as you like: a job runs on one of them,
// at most one job per circle at a time; the shards are shared among the live workers.
import { createLogger } from '../proxy/logger.js';
import { configFromArgs, stopOnSignals } from '../proxy/process-lifecycle.js';
import { startAdminWorker } from './admin-worker.js';
import { startDetectionWorker } from './detection/detection-worker.js';

const config = configFromArgs(process.argv.slice(2), 'influxring-worker');
const log = createLogger(config.log.level, 'influxring-worker');
const admin = startAdminWorker(config, log);
const detection = startDetectionWorker(config, log);
log.info({ pid: process.pid, shards: config.detection.shards }, 'worker ready for admin jobs and detection');
stopOnSignals(log, 'stopping: a running job stops at its next step; shards are released', async () => {
  await Promise.all([admin.close(), detection.close()]);
});
