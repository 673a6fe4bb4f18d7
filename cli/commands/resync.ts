// `influxring resync [--source C]`: makes the circles hold the same data again, copying from one.
import { jobCommand } from '../job-command.js';

export const resyncCommand = jobCommand({
  type: 'resync',
  summary: 'make every circle identical again, copying from one of them',
  usage: 'influxring resync [--source CIRCLE] [--detach]',
  description: [
    'Copies every measurement from the source circle to its owners in the other circles, so that the',
    'circles hold the same data again (after writes one circle missed). Locks every circle while it runs.',
  ],
  flags: [{ name: 'source', kind: 'string', value: 'CIRCLE', help: 'the circle to copy from (default: one whose nodes are all active)' }],
  example: 'influxring resync --source circle-a',
  request: (flags) => {
    const source = flags.string('source');
    return { type: 'resync', ...(source !== null ? { source } : {}) };
  },
});
