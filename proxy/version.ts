// Versions in response headers: X-Influxdb-Version carries the nodes' InfluxDB version (the lowest
// seen, so clients never assume features some node lacks); X-Influxring-Version carries ours.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InfluxNode } from './node.js';

/** The project root: the nearest folder above this file with our package.json (from sources or dist/). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'influxring') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the influxring package.json');
    dir = parent;
  }
}

export const INFLUXRING_VERSION: string = (
  JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }
).version;

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.~-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.~-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function clusterVersion(nodes: readonly InfluxNode[]): string {
  let lowest: string | null = null;
  for (const node of nodes) {
    if (node.version !== null && (lowest === null || compareVersions(node.version, lowest) < 0)) lowest = node.version;
  }
  return lowest ?? 'unknown';
}
