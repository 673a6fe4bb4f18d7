// `npm run eval -- --data DIR` on a folder of one's own laid out like ../shared/data: a NAB-style curve
// with its window and profiles, and a KPI curve with a label column; the built evaluator prints their
// tables (an empty folder is refused with a message).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../proxy/version.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'influxring-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run eval -- --data DIR', () => {
  it('evaluates NAB-style and KPI-style curves of a folder of ones own', async () => {
    const start = Date.UTC(2020, 0, 1);
    const iso = (i: number): string => new Date(start + i * 300_000).toISOString().replace('T', ' ').replace('.000Z', '');
    let seed = 3;
    const values = Array.from({ length: 2000 }, (_, i) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return i === 1500 ? 500 : 50 + 10 * (seed / 2147483648);
    });
    mkdirSync(join(dir, 'nab', 'data', 'mine'), { recursive: true });
    mkdirSync(join(dir, 'nab', 'labels'), { recursive: true });
    mkdirSync(join(dir, 'netman-kpi'), { recursive: true });
    writeFileSync(join(dir, 'nab', 'data', 'mine', 'spike.csv'), `timestamp,value\n${values.map((v, i) => `${iso(i)},${v}`).join('\n')}\n`);
    writeFileSync(join(dir, 'nab', 'labels', 'combined_windows.json'), JSON.stringify({ 'mine/spike.csv': [[`${iso(1450)}.000000`, `${iso(1550)}.000000`]] }));
    writeFileSync(join(dir, 'nab', 'profiles.json'), readFileSync(join(projectRoot(), '..', 'shared', 'data', 'nab', 'profiles.json')));
    writeFileSync(join(dir, 'netman-kpi', 'kpi.csv'), `timestamp,value,label\n${values.map((v, i) => `${start / 1000 + i * 300},${v},${i === 1500 ? 1 : 0}`).join('\n')}\n`);

    const { stdout } = await run(process.execPath, [join(projectRoot(), 'dist', 'eval', 'main.js'), '--data', dir]);
    expect(stdout).toContain('### NAB (1 files, 1 windows;');
    // the spike is found at the first row it is in: a high NAB score for the SPOT family
    const bispot = stdout.split('\n').find((line) => line.startsWith('| bispot')) as string;
    expect(Number(bispot.split('|')[2])).toBeGreaterThan(40);
    expect(stdout).toMatch(/\| kpi\.csv \| bispot \(q 1e-3\) \| [0-9.]+ \| 1\.000 \|/);
    expect(stdout).not.toContain('Metis windows');
  });

  it('says what it expected in a folder with nothing to evaluate', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'influxring-eval-empty-'));
    try {
      await expect(run(process.execPath, [join(projectRoot(), 'dist', 'eval', 'main.js'), '--data', empty])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('nothing to evaluate') });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
