// A Redis Cluster on loopback: N masters without replicas, each a redis-server (startRedis: AOF,
// noeviction) with `cluster-enabled yes` in its own directory, joined with `redis-cli --cluster create`
// (which splits the 16384 slots evenly). For tests and local runs of `redis.mode: cluster`.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './child-process.js';
import { freePort } from './free-port.js';
import { startRedis, type RedisServer } from './redis-server.js';

const run = promisify(execFile);

export interface RedisClusterOptions {
  /** Directory of the masters' directories (`master-1`, …); removed by stop(). */
  dir: string;
  /** @defaultValue 3 (the fewest masters `redis-cli --cluster create` accepts) */
  masters?: number;
}

export interface RedisCluster {
  /** Seed addresses, `127.0.0.1:<port>`, one per master. */
  readonly nodes: string[];
  /** The masters, in the order of `nodes`: each can be stopped, killed or restarted. */
  readonly masters: RedisServer[];
  /** Stops every master and removes the directory. */
  stop(): Promise<void>;
}

/** Runs redis-cli against one port; resolves with its output. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 30_000 });
  return stdout;
}

export async function startRedisCluster(options: RedisClusterOptions): Promise<RedisCluster> {
  const count = options.masters ?? 3;
  try {
    await run('redis-cli', ['--version']);
  } catch {
    throw new Error('redis-cli not found on PATH: it is needed to form a Redis Cluster (apt-get install redis-tools)');
  }
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => startMaster(join(options.dir, `master-${i + 1}`))));
  const masters = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const cluster: RedisCluster = {
    nodes: masters.map((master) => `127.0.0.1:${master.port}`),
    masters,
    async stop() {
      await Promise.all(masters.map((master) => master.stop()));
      rmSync(options.dir, { recursive: true, force: true });
    },
  };
  try {
    const failure = results.find((result) => result.status === 'rejected');
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
    await run('redis-cli', ['--cluster', 'create', ...cluster.nodes, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 60_000 }).catch((err: { stdout?: string }) => {
      // redis-cli says why on stdout ("[ERR] Node … is not empty", …).
      throw new Error(`redis-cli --cluster create failed: ${err.stdout ?? String(err)}`);
    });
    for (const master of masters) {
      await waitFor(`cluster_state:ok on 127.0.0.1:${master.port}`, async () => (await redisCli(master.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'), 30_000, master.process);
    }
  } catch (err) {
    // Leave nothing running behind a failed start.
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/**
 * One master. Its cluster bus port is picked free too (the default, port + 10000, may be taken or
 * beyond 65535); both are picked again (up to 3 tries) if another process takes one meanwhile.
 */
async function startMaster(dir: string): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      const port = await freePort();
      let busPort = await freePort();
      while (busPort === port) busPort = await freePort();
      return await startRedis({
        dir,
        port,
        extraArgs: ['--cluster-enabled', 'yes', '--cluster-port', String(busPort), '--cluster-config-file', 'nodes.conf'],
      });
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}
