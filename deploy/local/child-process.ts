// A server process we start and own (redis-server, influxd, a proxy): its output goes to a log file,
// it is stopped with SIGTERM (or killed with SIGKILL to make faults), and it never outlives us.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const owned = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of owned) child.kill('SIGKILL');
  });
}

export interface OwnedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
}

export function startProcess(name: string, command: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): OwnedProcess {
  installExitHook();
  mkdirSync(dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  owned.add(child);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      owned.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      owned.delete(child);
      log.write(`spawn error: ${err.message}\n`);
      resolve('spawn-error');
    });
  });
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    child,
    logFile,
    exited,
    async stop(graceMs = 10_000) {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (gone()) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, process?: OwnedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (process && (process.child.exitCode !== null || process.child.signalCode !== null)) {
      throw new Error(`${what}: the process exited (see ${process.logFile})`);
    }
    try {
      if (await check()) return;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms${process ? ` (see ${process.logFile})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A server we own that can be stopped, killed (a crash) and started again with its ports and data. */
export interface Restartable {
  process: OwnedProcess;
  stop(): Promise<void>;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

/** Launches a server and wraps it so that `restart()` launches it the same way again. */
export async function restartable(launch: () => Promise<OwnedProcess>): Promise<Restartable> {
  const server: Restartable = {
    process: await launch(),
    stop: () => server.process.stop(),
    kill: () => server.process.kill(),
    async restart() {
      await server.process.stop();
      server.process = await launch();
    },
  };
  return server;
}
