#!/usr/bin/env node
// Brings a fresh checkout to a runnable state, doing only what is missing: npm dependencies, the
// system packages of the local cluster (redis-server, influxd, the influx CLI; installed with apt when
// running as root on Debian/Ubuntu), and the TypeScript build. Plain JavaScript without dependencies,
// because it runs before they exist.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const say = (message) => process.stderr.write(`[bootstrap] ${message}\n`);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    say(`'${command} ${args.join(' ')}' failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

// 1. Node
const major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  say(`Node.js 20 or later is needed; this is ${process.version}.`);
  process.exit(1);
}

// 2. npm dependencies
const lock = join(root, 'package-lock.json');
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs)) {
  say('installing npm dependencies');
  run('npm', existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund']);
}

// 3. System packages of the local cluster
const needed = [
  { command: 'redis-server', pkg: 'redis-server' },
  { command: 'influxd', pkg: 'influxdb' },
  { command: 'influx', pkg: 'influxdb-client' },
];
const missing = needed.filter((n) => !has(n.command));
if (missing.length > 0) {
  const packages = missing.map((n) => n.pkg);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && has('apt-get')) {
    say(`installing ${packages.join(', ')} with apt-get`);
    run('apt-get', ['update', '-qq'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    run('apt-get', ['install', '-y', '-qq', ...packages], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } else {
    say(`missing: ${missing.map((n) => `${n.command} (package ${n.pkg})`).join(', ')}.`);
    say(`Install them, e.g. 'sudo apt-get install -y ${packages.join(' ')}', and run this again;`);
    say("or run the cluster in containers instead: 'docker compose up'.");
    process.exit(1);
  }
}

// 4. Build (incremental: fast when nothing changed)
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
} catch {
  say('the TypeScript build failed');
  process.exit(1);
}
// The package's commands (`npx influxring …`) run the compiled files directly: make them executable.
const { bin } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const file of Object.values(bin ?? {})) {
  if (existsSync(join(root, file))) chmodSync(join(root, file), 0o755);
}
