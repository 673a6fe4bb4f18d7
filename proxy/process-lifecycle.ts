// What the proxy's and the worker's entry points share: the configuration from `--config FILE` (or
// INFLUXRING_CONFIG) with exit code 2 and one line for a bad one, and a clean stop on SIGTERM/SIGINT.
import type { Logger } from 'pino';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';

export function configFromArgs(argv: readonly string[], program: string): Config {
  const at = argv.indexOf('--config');
  const file = at === -1 ? undefined : argv[at + 1];
  try {
    return loadConfig({ file });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${program}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** On the first SIGTERM or SIGINT: logs `stopping`, runs `close`, exits 0 (1 when closing failed). */
export function stopOnSignals(log: Logger, stopping: string, close: () => Promise<void>): void {
  let stopped = false;
  const stop = (signal: string): void => {
    if (stopped) return;
    stopped = true;
    log.info({ signal }, stopping);
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
