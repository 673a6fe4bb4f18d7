// `influxring status`: the cluster at a glance — topology version, live proxies and whether they all
// route with it, workers, jobs waiting or running, circles, and per node its role, whether it serves
// reads, what it has buffered, its catalog and the measurements it holds but does not own.
import { withAdmin } from '../admin-client.js';
import type { CircleList, HealthNode, HealthView, JobList } from '../admin-views.js';
import type { Command } from '../command.js';
import { ADMIN_CONNECTION_FLAGS } from '../connection.js';
import { requirePositionals } from '../flags.js';
import { formatCount } from '../format.js';
import { jobSubject, progressText, stateText } from '../job-progress.js';
import { formatPairs, formatTable, JSON_FLAG, listCell, printedJson, yesNo } from '../output.js';

/** Misplaced measurements listed by name (the rest counted). */
const SHOWN_MISPLACED = 10;

function proxiesText(health: HealthView): string {
  const { live, behind } = health.proxies;
  if (behind.length === 0) return `${live} live, all on version ${health.version}`;
  return `${live} live, ${behind.length} behind: ${behind.map((p) => `${p.id} on version ${p.version}`).join(', ')}`;
}

function catalogText(node: HealthNode): string {
  return node.catalogConverged ? 'converged' : `${node.catalogBehind} behind`;
}

function misplacedCell(node: HealthNode): string {
  return node.misplaced === null ? '?' : String(node.misplaced.length);
}

function noteText(node: HealthNode): string {
  const notes: string[] = [];
  if (!node.active && node.inactiveReason !== null) notes.push(node.inactiveReason);
  if (node.writeOnly && !notes.some((n) => n.includes('write-only'))) notes.push('write-only');
  if (node.replaying) notes.push('replaying its buffer');
  if (node.misplaced === null && node.misplacedError !== null && node.active) notes.push(`misplaced unknown: ${node.misplacedError}`);
  return notes.join('; ');
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'cluster summary: circles, nodes, proxies, workers, running jobs',
  usage: 'influxring status [--json]',
  description: [
    'Shows the topology version and the live proxies (and any still routing with an older version), the',
    'workers, the jobs waiting or running, the circles, and per node: its role in the ring, whether it',
    'serves reads (and why not), the points buffered for it, its catalog, and how many measurements it',
    'holds without owning them (misplaced: a cleanup drops them). With no options it talks to the local',
    'cluster that npm start runs.',
  ],
  flags: [JSON_FLAG, ...ADMIN_CONNECTION_FLAGS],
  notes: ['Example:', '  influxring status'],
  async run(flags, context) {
    requirePositionals(flags, []);
    await withAdmin(flags, context.env, async (admin) => {
      const [health, circles, jobs] = await Promise.all([
        admin.get<HealthView>('/admin/health'),
        admin.get<CircleList>('/admin/circles'),
        admin.get<JobList>('/admin/jobs?limit=100'),
      ]);
      if (printedJson(flags, context.stdout, { health, circles, jobs })) return;
      const pending = jobs.jobs.filter((job) => job.state === 'active' || job.state === 'waiting' || job.state === 'delayed' || job.state === 'prioritized');
      const { url, source } = admin.proxy.connection;
      const out: string[] = [];
      out.push(
        formatPairs([
          ['Proxy', `${url} (from ${source})`],
          ['Topology', `version ${health.version}`],
          ['Proxies', proxiesText(health)],
          ['Workers', health.workers === null ? 'unknown' : String(health.workers)],
          ['Jobs', pending.length === 0 ? 'none waiting or running' : `${pending.length} waiting or running`],
          ['Misplaced', `${health.misplaced} measurement${health.misplaced === 1 ? '' : 's'}`],
        ]),
      );
      if (pending.length > 0) {
        out.push(
          formatTable(
            ['JOB', 'WHAT', 'STATE', 'PROGRESS'],
            pending.map((job) => [job.id, jobSubject(job), stateText(job), progressText(job)]),
          ),
        );
      }
      out.push(
        formatTable(
          ['CIRCLE', 'MEMBERS', 'NEXT', 'PHASE', 'ACTIVE'],
          circles.circles.map((circle) => [
            circle.name,
            listCell(circle.members),
            listCell(circle.next),
            circle.phase ?? '-',
            `${circle.nodes.filter((node) => node.active).length}/${circle.nodes.length}`,
          ]),
        ),
      );
      out.push(
        formatTable(
          ['NODE', 'CIRCLE', 'ROLE', 'ACTIVE', 'BUFFERED', 'CATALOG', 'MISPLACED', 'NOTE'],
          health.nodes.map((node) => [
            node.name,
            node.circle,
            node.role,
            yesNo(node.active),
            formatCount(node.buffered.points),
            catalogText(node),
            misplacedCell(node),
            noteText(node),
          ]),
        ),
      );
      const misplaced = health.nodes.flatMap((node) => (node.misplaced ?? []).map((m) => `  ${node.name}  ${m.db}.${m.measurement}  (owner ${m.owner})`));
      if (misplaced.length > 0) {
        const more = misplaced.length > SHOWN_MISPLACED ? [`  … and ${misplaced.length - SHOWN_MISPLACED} more (--json lists them all)`] : [];
        out.push(`Misplaced measurements (influxring cleanup drops them):\n${[...misplaced.slice(0, SHOWN_MISPLACED), ...more].join('\n')}\n`);
      }
      context.stdout.write(out.join('\n'));
    });
  },
};
