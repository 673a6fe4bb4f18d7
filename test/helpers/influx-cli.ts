// The `influx` CLI (1.x), run as a client would run it.
import { execFile } from 'node:child_process';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `influx` against 127.0.0.1:`port` with `args`; never rejects (the exit code is in the result). */
export function influxCli(port: number, args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile('influx', ['-host', '127.0.0.1', '-port', String(port), ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}
