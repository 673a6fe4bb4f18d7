// `influxring rebalance --circle C`: after nodes were added to or removed from a circle, copies what
// changes owner to its new owner, then switches the circle to its next ring.
import { requireFlag } from '../flags.js';
import { jobCommand } from '../job-command.js';

export const rebalanceCommand = jobCommand({
  type: 'rebalance',
  summary: 'move data to the next ring of a circle (after nodes add / nodes rm), then switch to it',
  usage: 'influxring rebalance --circle CIRCLE [--detach]',
  description: [
    'Copies every measurement whose owner changes in the circle\'s next ring to its new owner, then',
    'switches reads and writes to the next ring. Run it after nodes add or nodes rm.',
  ],
  flags: [{ name: 'circle', kind: 'string', value: 'CIRCLE', help: 'the circle whose ring changes (required)' }],
  example: 'influxring rebalance --circle circle-a',
  request: (flags) => ({ type: 'rebalance', circle: requireFlag(flags, 'circle', 'the circle to rebalance') }),
});
