// A redis-server on loopback with AOF persistence (appendfsync everysec), so buffered writes survive a
// Redis restart; `noeviction`, so Redis never drops a replay buffer to make room.
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { restartable, startProcess, waitFor, type OwnedProcess, type Restartable } from './child-process.js';
import { freePort } from './free-port.js';

export interface RedisServer extends Restartable {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface RedisOptions {
  dir: string;
  port?: number;
  extraArgs?: string[];
}

/** Starts redis-server; a port not given is picked free, and picked again (up to 3 tries) if taken meanwhile. */
export async function startRedis(options: RedisOptions): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options, options.port ?? (await freePort()));
    } catch (err) {
      if (options.port !== undefined || attempt >= 3) throw err;
    }
  }
}

async function startOnce(options: RedisOptions, port: number): Promise<RedisServer> {
  mkdirSync(options.dir, { recursive: true });
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', options.dir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    '--maxmemory-policy', 'noeviction',
    '--protected-mode', 'yes',
    ...(options.extraArgs ?? []),
  ];
  const launch = async (): Promise<OwnedProcess> => {
    const proc = startProcess('redis-server', 'redis-server', args, join(options.dir, 'redis.log'));
    await waitFor(`redis-server on port ${port}`, () => ping(port), 10_000, proc);
    return proc;
  };
  return Object.assign(await restartable(launch), { port, url: `redis://127.0.0.1:${port}`, dir: options.dir });
}
