// A job in words: what it is (`12 rebalance of circle-a`), where it is (`copy 3/10, 1,234 points`),
// and the bar drawn while following it. Pure functions of the admin API's JobView, shared by the job
// commands, `jobs` and `status`.
import type { JobView } from './admin-views.js';
import { formatCount, formatElapsed } from './format.js';
import { barLine } from './progress.js';

/** `rebalance of circle-a`, `recovery of node a1`, `resync of circle-a, circle-b`. */
export function jobSubject(job: Pick<JobView, 'type' | 'node' | 'circles'>): string {
  if (job.node !== null) return `${job.type} of node ${job.node}`;
  return `${job.type} of ${job.circles.length === 1 ? 'circle ' : 'circles '}${job.circles.join(', ')}`;
}

/** `job 12 (rebalance of circle circle-a)`. */
export function jobTitle(job: Pick<JobView, 'id' | 'type' | 'node' | 'circles'>): string {
  return `job ${job.id} (${jobSubject(job)})`;
}

/** Whole percent of the progress, or null without a total. */
export function jobPercent(job: Pick<JobView, 'progress'>): number | null {
  const progress = job.progress;
  if (progress === null || progress.total <= 0) return null;
  return Math.min(100, Math.floor((progress.done * 100) / progress.total));
}

/** What the job reported last: `copy 3/10 (30%), 1,234 points`; `-` before its first report. */
export function progressText(job: Pick<JobView, 'progress'>, withPercent = true): string {
  const progress = job.progress;
  if (progress === null) return '-';
  const percent = withPercent ? jobPercent(job) : null;
  const count = progress.total > 0 ? ` ${formatCount(progress.done)}/${formatCount(progress.total)}${percent === null ? '' : ` (${percent}%)`}` : '';
  return `${progress.step}${count}, ${formatCount(progress.points)} points`;
}

/** The state as people say it: `waiting for a worker`, `running`, `completed`, `failed`. */
export function stateText(job: Pick<JobView, 'state' | 'cancelRequested'>): string {
  const cancel = job.cancelRequested ? ', cancel requested' : '';
  switch (job.state) {
    case 'waiting':
    case 'prioritized':
    case 'delayed':
      return `waiting for a worker${cancel}`;
    case 'active':
      return `running${cancel}`;
    case 'unknown':
      return job.cancelRequested ? 'cancelled' : 'gone';
    default:
      return `${job.state}${cancel}`;
  }
}

/** How long it ran (finished jobs) or has been running, from its timestamps; null before it started. */
export function jobDurationMs(job: Pick<JobView, 'startedAt' | 'finishedAt'>, now: number = Date.now()): number | null {
  if (job.startedAt === null) return null;
  const end = job.finishedAt === null ? now : Date.parse(job.finishedAt);
  return Math.max(0, end - Date.parse(job.startedAt));
}

/** The terminal line while following: `[████░░░░]  30%  copy 3/10, 1,234 points  running 12.00 s`. */
export function formatJobBar(job: JobView, columns: number, now: number = Date.now()): string {
  const percent = jobPercent(job);
  const duration = jobDurationMs(job, now);
  const text = [
    percent === null ? null : `${String(percent).padStart(3)}%`,
    job.progress === null ? null : progressText(job, false),
    duration === null ? stateText(job) : `${stateText(job)} ${formatElapsed(duration)}`,
  ]
    .filter((part) => part !== null)
    .join('  ');
  return barLine(percent, text, columns);
}

/** A log line while following: `job 12: running, copy 3/10 (30%), 1,234 points`. */
export function formatJobLine(job: JobView): string {
  return `job ${job.id}: ${stateText(job)}${job.progress === null ? '' : `, ${progressText(job)}`}`;
}
