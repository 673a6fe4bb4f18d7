// `influxring jobs cancel ID`: a job not started yet is removed; a running one is asked to stop, which
// it does at its next step, leaving the cluster consistent.
import { withAdmin } from '../admin-client.js';
import type { JobView } from '../admin-views.js';
import type { Command } from '../command.js';
import { ADMIN_CONNECTION_FLAGS } from '../connection.js';
import { requirePositionals } from '../flags.js';
import { jobTitle } from '../job-progress.js';

export const jobsCancelCommand: Command = {
  name: 'jobs cancel',
  summary: 'cancel a job',
  usage: 'influxring jobs cancel ID',
  description: [
    'Cancels a job. One still waiting for a worker is removed; a running one stops at its next step and',
    'leaves the cluster consistent (follow it with influxring jobs show ID). A finished job stays as it is.',
  ],
  flags: [...ADMIN_CONNECTION_FLAGS],
  notes: ['Example:', '  influxring jobs cancel 12'],
  async run(flags, context) {
    const [id] = requirePositionals(flags, ['ID']) as [string];
    await withAdmin(flags, context.env, async (admin) => {
      const job = await admin.post<JobView>(`/admin/jobs/${encodeURIComponent(id)}/cancel`);
      const title = jobTitle(job);
      if (job.state === 'unknown') context.stdout.write(`${title} cancelled: it had not started\n`);
      else if (job.state === 'active') context.stdout.write(`${title}: cancel requested; it stops at its next step\n`);
      else context.stdout.write(`${title} is ${job.state}: nothing to cancel\n`);
    });
  },
};
