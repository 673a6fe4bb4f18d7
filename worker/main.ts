#!/usr/bin/env node
// The worker's entry point: `influxring-worker [--config FILE]` runs the admin jobs (rebalance,
// recovery, resync, cleanup) that proxies queue, with the same configuration file as the proxy.
// Run as many as you like: a job runs on one of them, at most one job per circle at a time.
import { createLogger } from '../proxy/logger.js';
import { configFromArgs, stopOnSignals } from '../proxy/process-lifecycle.js';
import { startAdminWorker } from './admin-worker.js';

const config = configFromArgs(process.argv.slice(2), 'influxring-worker');
const log = createLogger(config.log.level, 'influxring-worker');
const worker = startAdminWorker(config, log);
log.info({ pid: process.pid }, 'worker ready for admin jobs');
stopOnSignals(log, 'stopping: a running job stops at its next step', () => worker.close());
