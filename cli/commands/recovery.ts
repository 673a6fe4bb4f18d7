// `influxring recovery (--node N | --circle C) [--source C]`: rebuilds a node, or every node of a
// circle, from another circle's copy of the data.
import { usageError } from '../errors.js';
import { jobCommand } from '../job-command.js';

export const recoveryCommand = jobCommand({
  type: 'recovery',
  summary: 'rebuild a node (or every node of a circle) from another circle',
  usage: 'influxring recovery (--node NODE | --circle CIRCLE) [--source CIRCLE] [--detach]',
  description: [
    'Copies to the node (or to every node of the circle) the measurements it owns, from the circle given',
    'with --source (default: a circle whose nodes are all active). Run it after a node lost its data, or',
    'to fill a circle added with circles add.',
  ],
  flags: [
    { name: 'node', kind: 'string', value: 'NODE', help: 'the node to rebuild' },
    { name: 'circle', kind: 'string', value: 'CIRCLE', help: 'or: the circle whose nodes to rebuild' },
    { name: 'source', kind: 'string', value: 'CIRCLE', help: 'the circle to copy from (default: one whose nodes are all active)' },
  ],
  example: 'influxring recovery --node a1 --source circle-b',
  request: (flags) => {
    const node = flags.string('node');
    const circle = flags.string('circle');
    if ((node === null || node === '') === (circle === null || circle === '')) throw usageError('give either --node NODE or --circle CIRCLE: what to rebuild');
    const source = flags.string('source');
    return {
      type: 'recovery',
      ...(node !== null && node !== '' ? { node } : { circle: circle as string }),
      ...(source !== null ? { source } : {}),
    };
  },
});
