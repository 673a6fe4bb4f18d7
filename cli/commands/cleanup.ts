// `influxring cleanup [--circle C]`: drops misplaced measurements — those a node holds but no longer
// owns (left behind by a rebalance) — from one circle or all of them.
import { jobCommand } from '../job-command.js';

export const cleanupCommand = jobCommand({
  type: 'cleanup',
  summary: 'drop measurements from the nodes that do not own them (misplaced)',
  usage: 'influxring cleanup [--circle CIRCLE] [--detach]',
  description: [
    'Drops from every node the measurements it holds but does not own (status shows them as misplaced),',
    'in the circle given, or in every circle.',
  ],
  flags: [{ name: 'circle', kind: 'string', value: 'CIRCLE', help: 'the circle to clean (default: every circle)' }],
  example: 'influxring cleanup --circle circle-a',
  request: (flags) => {
    const circle = flags.string('circle');
    return { type: 'cleanup', ...(circle !== null ? { circle } : {}) };
  },
});
