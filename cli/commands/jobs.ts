// `influxring jobs`: the jobs, newest first — waiting, running, and the finished ones the queue keeps.
import { withAdmin } from '../admin-client.js';
import type { JobList } from '../admin-views.js';
import type { Command } from '../command.js';
import { ADMIN_CONNECTION_FLAGS } from '../connection.js';
import { positiveInteger, requirePositionals } from '../flags.js';
import { jobSubject, progressText, stateText } from '../job-progress.js';
import { formatTable, JSON_FLAG, printedJson } from '../output.js';

export const jobsCommand: Command = {
  name: 'jobs',
  summary: 'list the jobs (rebalance, recovery, resync, cleanup), newest first',
  usage: 'influxring jobs [--limit N] [--json]',
  description: [
    'Lists the jobs, newest first: waiting for a worker, running, and the finished ones kept',
    '(jobs.keepHistory). See one with its logs with influxring jobs show ID; stop one with influxring',
    'jobs cancel ID.',
  ],
  flags: [{ name: 'limit', kind: 'string', value: 'N', help: 'at most this many jobs (default: 100)' }, JSON_FLAG, ...ADMIN_CONNECTION_FLAGS],
  notes: ['Example:', '  influxring jobs'],
  async run(flags, context) {
    requirePositionals(flags, []);
    const limit = positiveInteger('limit', flags.string('limit') ?? '100', 1000);
    await withAdmin(flags, context.env, async (admin) => {
      const list = await admin.get<JobList>(`/admin/jobs?limit=${limit}`);
      if (printedJson(flags, context.stdout, list)) return;
      if (list.jobs.length === 0) {
        context.stdout.write('no jobs\n');
        return;
      }
      context.stdout.write(
        formatTable(
          ['ID', 'WHAT', 'STATE', 'PROGRESS', 'CREATED'],
          list.jobs.map((job) => [job.id, jobSubject(job), stateText(job), progressText(job), job.createdAt]),
        ),
      );
    });
  },
};
