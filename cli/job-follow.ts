// Following a job until it ends: GET /admin/jobs/:id every 250 ms, its progress drawn on stderr (a bar
// on a terminal, a line per change otherwise), until it is completed or failed. Ctrl-C stops following,
// not the job: the job runs in a worker, so the CLI only says how to cancel it. A proxy that stops
// answering for a moment (a restart) is waited for; one gone for longer ends the command.
import type { AdminClient } from './admin-client.js';
import type { JobDetail, JobView } from './admin-views.js';
import type { CommandContext } from './command.js';
import { CliError } from './errors.js';
import { formatJobBar, formatJobLine, jobTitle, stateText } from './job-progress.js';
import { ProgressDisplay, progressMode } from './progress.js';

export interface FollowOptions {
  /** Time between two looks at the job. @defaultValue 250 */
  readonly pollMs?: number;
  /** How long the proxy may not answer before following gives up. @defaultValue 15000 */
  readonly unreachableMs?: number;
  /** After this long waiting, say that no worker has taken the job yet. @defaultValue 3000 */
  readonly waitingNoteMs?: number;
}

/** The message printed when following stops on Ctrl-C. */
function interruptedMessage(id: string): string {
  return `stopped following job ${id}; it goes on in its worker. Cancel it with: influxring jobs cancel ${id}`;
}

function isWaiting(job: JobView): boolean {
  return job.state === 'waiting' || job.state === 'delayed' || job.state === 'prioritized';
}

/** Follows `started` until it is completed or failed, and returns it with its logs. */
export async function followJob(admin: AdminClient, started: JobView, context: CommandContext, options: FollowOptions = {}): Promise<JobDetail> {
  const pollMs = options.pollMs ?? 250;
  const id = started.id;
  let current: JobView = started;
  let interrupted = false;
  let wake: (() => void) | null = null;
  const onInterrupt = (): void => {
    interrupted = true;
    wake?.();
  };
  process.on('SIGINT', onInterrupt);

  const display = new ProgressDisplay(
    { stream: context.stderr, mode: progressMode('auto', context.stderr), lineIntervalMs: 15_000 },
    { bar: (columns) => formatJobBar(current, columns), line: () => formatJobLine(current) },
  );
  display.note(`following ${jobTitle(started)}; Ctrl-C stops following (the job goes on)`);
  display.start();

  const firstSeen = Date.now();
  let lastState = '';
  let lastStep = '';
  let waitingNoted = false;
  let unreachableSince: number | null = null;
  try {
    for (;;) {
      if (interrupted) throw new CliError('IRX_ERR_CLI_INTERRUPTED', interruptedMessage(id));
      let detail: JobDetail;
      try {
        detail = await admin.get<JobDetail>(`/admin/jobs/${encodeURIComponent(id)}`);
        unreachableSince = null;
      } catch (err) {
        if (err instanceof CliError && err.apiCode === 'IRX_ERR_ADMIN_NOT_FOUND') {
          throw new CliError('IRX_ERR_CLI_JOB_FAILED', `job ${id} is gone (${err.message}): it was cancelled before a worker took it, or removed`);
        }
        if (!(err instanceof CliError) || err.code !== 'IRX_ERR_CLI_PROXY_UNREACHABLE') throw err;
        if (unreachableSince === null) {
          unreachableSince = Date.now();
          display.note(`the proxy does not answer; still trying (${err.message})`);
        } else if (Date.now() - unreachableSince > (options.unreachableMs ?? 15_000)) {
          throw err;
        }
        await sleep(pollMs, (resolve) => (wake = resolve));
        continue;
      }
      current = detail.job;
      if (current.state !== lastState || (current.progress?.step ?? '') !== lastStep) {
        if (lastState !== '' || current.state !== 'waiting') display.note(formatJobLine(current));
        lastState = current.state;
        lastStep = current.progress?.step ?? '';
      }
      if (current.state === 'completed' || current.state === 'failed') return detail;
      if (current.state === 'unknown') {
        throw new CliError('IRX_ERR_CLI_JOB_FAILED', `job ${id} is ${stateText(current)}: it was removed before it finished`);
      }
      if (!waitingNoted && isWaiting(current) && Date.now() - firstSeen > (options.waitingNoteMs ?? 3_000)) {
        waitingNoted = true;
        display.note(`job ${id} is still waiting: no worker has taken it yet (jobs run in worker processes: node dist/worker/main.js)`);
      }
      await sleep(pollMs, (resolve) => (wake = resolve));
    }
  } finally {
    process.off('SIGINT', onInterrupt);
    display.stop();
  }
}

/** Waits `ms`, or until the function handed to `onWake` is called (Ctrl-C). */
function sleep(ms: number, onWake: (resolve: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    onWake(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
