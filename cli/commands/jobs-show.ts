// `influxring jobs show ID`: one job — what it works on, its state, progress, times, its failure
// reason or result — and its log.
import { withAdmin } from '../admin-client.js';
import type { JobDetail } from '../admin-views.js';
import type { Command } from '../command.js';
import { ADMIN_CONNECTION_FLAGS } from '../connection.js';
import { requirePositionals } from '../flags.js';
import { formatElapsed } from '../format.js';
import { jobDurationMs, jobSubject, progressText, stateText } from '../job-progress.js';
import { formatPairs, JSON_FLAG, printedJson } from '../output.js';

export const jobsShowCommand: Command = {
  name: 'jobs show',
  summary: 'show a job with its logs',
  usage: 'influxring jobs show ID [--json]',
  description: ['Shows a job: what it works on, its state and progress, when it started and ended, why it failed or what it did, and its log.'],
  flags: [JSON_FLAG, ...ADMIN_CONNECTION_FLAGS],
  notes: ['Example:', '  influxring jobs show 12'],
  async run(flags, context) {
    const [id] = requirePositionals(flags, ['ID']) as [string];
    await withAdmin(flags, context.env, async (admin) => {
      const detail = await admin.get<JobDetail>(`/admin/jobs/${encodeURIComponent(id)}`);
      if (printedJson(flags, context.stdout, detail)) return;
      const { job, logs } = detail;
      const took = jobDurationMs(job);
      const pairs: [string, string][] = [
        ['job', job.id],
        ['what', jobSubject(job)],
        ['state', stateText(job)],
        ['progress', progressText(job)],
        ['created', job.createdAt],
        ['started', job.startedAt ?? '-'],
        ['finished', job.finishedAt ?? '-'],
        ['took', took === null ? '-' : formatElapsed(took)],
      ];
      if (job.failedReason !== null) pairs.push(['failed', job.failedReason]);
      if (job.result !== null && job.result !== undefined) pairs.push(['result', JSON.stringify(job.result)]);
      context.stdout.write(formatPairs(pairs));
      context.stdout.write(logs.length === 0 ? 'log: (empty)\n' : `log:\n${logs.map((line) => `  ${line}`).join('\n')}\n`);
    });
  },
};
