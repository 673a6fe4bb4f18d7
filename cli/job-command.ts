// What the four job commands (rebalance, recovery, resync, cleanup) share: POST /admin/jobs with the
// request their flags make, then either print the job's id and return (--detach) or follow the job to
// its end — exit 0 when it completed, 1 when it failed (with its reason and last log lines).
import { withAdmin } from './admin-client.js';
import type { JobView } from './admin-views.js';
import type { Command, CommandContext } from './command.js';
import { ADMIN_CONNECTION_FLAGS } from './connection.js';
import { CliError } from './errors.js';
import { requirePositionals, type FlagSpec, type ParsedFlags } from './flags.js';
import { formatElapsed } from './format.js';
import { followJob } from './job-follow.js';
import { jobDurationMs, jobTitle, progressText } from './job-progress.js';

/** The body of POST /admin/jobs. */
export interface JobRequest {
  readonly type: JobView['type'];
  readonly circle?: string;
  readonly node?: string;
  readonly source?: string;
}

export interface JobCommandSpec {
  readonly type: JobView['type'];
  readonly summary: string;
  readonly usage: string;
  readonly description: readonly string[];
  /** The job's own flags (the connection flags and --detach are added). */
  readonly flags: readonly FlagSpec[];
  readonly example: string;
  /** The request from the flags; usage errors for what is missing or contradictory. */
  request(flags: ParsedFlags): JobRequest;
}

/** Log lines shown when a job failed. */
const LAST_LOG_LINES = 10;

const DETACH_FLAG: FlagSpec = { name: 'detach', kind: 'boolean', help: "print the job's id and return at once instead of following it" };

async function runJob(spec: JobCommandSpec, flags: ParsedFlags, context: CommandContext): Promise<void> {
  requirePositionals(flags, []);
  const request = spec.request(flags);
  await withAdmin(flags, context.env, async (admin) => {
    const job = await admin.post<JobView>('/admin/jobs', request);
    if (flags.boolean('detach')) {
      context.stdout.write(`${job.id}\n`);
      context.stderr.write(`started ${jobTitle(job)}; follow it with: influxring jobs show ${job.id}\n`);
      return;
    }
    const { job: end, logs } = await followJob(admin, job, context);
    const took = jobDurationMs(end);
    const duration = took === null ? '' : ` in ${formatElapsed(took)}`;
    if (end.state === 'completed') {
      context.stdout.write(`${jobTitle(end)} completed${duration}${end.progress === null ? '' : `: ${progressText(end)}`}\n`);
      if (end.result !== null && end.result !== undefined) context.stdout.write(`result: ${JSON.stringify(end.result)}\n`);
      return;
    }
    const last = logs.slice(-LAST_LOG_LINES);
    if (last.length > 0) context.stderr.write(`last log lines of job ${end.id}:\n${last.map((line) => `  ${line}`).join('\n')}\n`);
    throw new CliError('IRX_ERR_CLI_JOB_FAILED', `${jobTitle(end)} failed${duration}: ${end.failedReason ?? 'no reason given'}`);
  });
}

/** A job command from its spec. */
export function jobCommand(spec: JobCommandSpec): Command {
  return {
    name: spec.type,
    summary: spec.summary,
    usage: spec.usage,
    description: [
      ...spec.description,
      '',
      'The command starts the job (POST /admin/jobs) and follows it, drawing its progress on stderr, until it',
      'completes (exit 0) or fails (exit 1, with the reason and the last log lines). Ctrl-C stops following;',
      'the job goes on in its worker (cancel it with influxring jobs cancel ID). With --detach the command',
      "prints the job's id and returns at once.",
    ],
    flags: [...spec.flags, DETACH_FLAG, ...ADMIN_CONNECTION_FLAGS],
    notes: ['Example:', `  ${spec.example}`],
    run: (flags, context) => runJob(spec, flags, context),
  };
}
