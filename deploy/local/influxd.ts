// An influxd 1.x on loopback with its own HTTP port, RPC address and data directories (several run on
// one machine without clashing).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { restartable, startProcess, waitFor, type OwnedProcess, type Restartable } from './child-process.js';
import { freePort } from './free-port.js';

export interface InfluxdServer extends Restartable {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly dir: string;
}

export interface InfluxdOptions {
  name: string;
  dir: string;
  port?: number;
  rpcPort?: number;
  /** Extra lines for the [http] section, e.g. `auth-enabled = true`. */
  http?: string[];
}

/**
 * Starts influxd; ports not given are picked free — and picked again (up to 3 tries) if another
 * process takes one first, as happens when tests run side by side.
 */
export async function startInfluxd(options: InfluxdOptions): Promise<InfluxdServer> {
  const chosen = options.port === undefined || options.rpcPort === undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, options.port ?? (await freePort()), options.rpcPort ?? (await freePort()));
    } catch (err) {
      if (!chosen || attempt >= 3) throw err;
    }
  }
}

async function startOnce(options: InfluxdOptions, port: number, rpcPort: number): Promise<InfluxdServer> {
  const dir = options.dir;
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, 'influxdb.conf');
  writeFileSync(
    configFile,
    [
      'reporting-enabled = false',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      ...(options.http ?? []).map((line) => `  ${line}`),
      '[ifql]',
      '  enabled = false',
      '[continuous_queries]',
      '  enabled = false',
      '[logging]',
      '  level = "warn"',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  const launch = async (): Promise<OwnedProcess> => {
    const proc = startProcess(`influxd ${options.name}`, 'influxd', ['-config', configFile], join(dir, 'influxd.log'));
    await waitFor(
      `influxd ${options.name} on port ${port}`,
      async () => (await fetch(`${url}/ping`)).status === 204,
      20_000,
      proc,
    );
    return proc;
  };
  return Object.assign(await restartable(launch), { name: options.name, port, url, dir });
}
