// The built `influxring` CLI (dist/cli/main.js) run as a child process, as a user runs it: arguments,
// an environment of our choosing (nothing of the test runner's INFLUXRING_* variables, and a local
// cluster directory that does not exist, so the repository's .local/cluster is never read), stdin, and
// the exit status with everything it printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../proxy/version.js';

export const CLI = join(projectRoot(), 'dist', 'cli', 'main.js');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Variables over the base environment (PATH, HOME and an INFLUXRING_LOCAL_DIR without a cluster). */
  readonly env?: Record<string, string>;
  /** Written to the CLI's stdin, which is then closed. */
  readonly input?: string;
  /** @defaultValue 30000 */
  readonly timeoutMs?: number;
}

/** A local cluster directory that does not exist: no cluster.json is ever found through it. */
export const NO_LOCAL_DIR = join(tmpdir(), 'influxring-cli-no-local-cluster');

function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(), INFLUXRING_LOCAL_DIR: NO_LOCAL_DIR, ...extra };
}

/** Starts the CLI; the caller reads its output and waits for it (see `finished`). */
export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess & { output: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output.stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output.stderr += text));
  if (options.input !== undefined) child.stdin.end(options.input);
  else child.stdin.end();
  return Object.assign(child, { output });
}

/** Waits for a spawned CLI to exit (killing it after `timeoutMs`). */
export function finished(child: ReturnType<typeof spawnCli>, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`influxring did not exit in ${timeoutMs} ms; stdout: ${child.output.stdout}\nstderr: ${child.output.stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: child.output.stdout, stderr: child.output.stderr });
    });
  });
}

/** Runs the CLI to its end. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return finished(spawnCli(args, options), options.timeoutMs);
}

/** Waits until the CLI has printed text matching `pattern` on stderr. */
export async function waitForStderr(child: ReturnType<typeof spawnCli>, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(child.output.stderr)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} on stderr; it has: ${child.output.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
