// Query benchmark, run by `npm run bench` (1 circle × 2 nodes): latency of small single-measurement
// queries through the proxy against the same query sent to the owner node directly; throughput of
// SHOW statements that fan out to every node; and the proxy's memory while it streams a large chunked
// result (which must stay flat whatever the size of the result).
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { createHashRing } from '../proxy/hash-ring.js';
import { shardKey } from '../proxy/shard-key.js';
import type { BenchCluster } from './harness.js';

const DB = 'bench_query';
const MEASUREMENTS = 16;
const POINTS_PER_MEASUREMENT = 2_000;
const BIG_POINTS = 1_000_000;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

async function timed(url: string, path: string, n: number, concurrency: number): Promise<{ latencies: number[]; perSecond: number; bytes: number }> {
  const pool = new Pool(url, { connections: concurrency });
  const latencies: number[] = [];
  let bytes = 0;
  let left = n;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        const t = performance.now();
        const response = await pool.request({ method: 'GET', path });
        const text = await response.body.text();
        if (response.statusCode !== 200 || text.includes('"error"')) throw new Error(`query failed: ${response.statusCode} ${text.slice(0, 200)}`);
        bytes += text.length;
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return { latencies, perSecond: n / elapsed, bytes };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : 0;
}

async function write(url: string, lines: string[]): Promise<void> {
  for (let at = 0; at < lines.length; at += 5000) {
    const response = await fetch(`${url}/write?db=${DB}`, { method: 'POST', body: lines.slice(at, at + 5000).join('\n') });
    if (response.status !== 204) throw new Error(`write failed: ${response.status} ${await response.text()}`);
  }
}

/** Reads a whole (chunked) answer: its size and how long it took. */
async function stream(url: string): Promise<{ bytes: number; seconds: number }> {
  const started = performance.now();
  const response = await fetch(url);
  let bytes = 0;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
  }
  return { bytes, seconds: (performance.now() - started) / 1000 };
}

export async function measureQueries(cluster: BenchCluster, processes: string): Promise<string> {
  await cluster.createDatabase(DB);
  const proxy = await cluster.startProxy([['a', 'b']], processes);
  const lines: string[] = [];
  for (let m = 0; m < MEASUREMENTS; m++) {
    for (let i = 0; i < POINTS_PER_MEASUREMENT; i++) lines.push(`q${m},host=h${i % 10} v=${i}.5,n=${i}i ${1_600_000_000_000_000_000n + BigInt(i) * 1_000_000_000n}`);
  }
  await write(proxy.url, lines);
  const big: string[] = [];
  for (let i = 0; i < BIG_POINTS; i++) big.push(`qbig,host=h${i % 100} v=${i}.25,s="row ${i}" ${1_600_000_000_000_000_000n + BigInt(i) * 1_000_000n}`);
  await write(proxy.url, big);

  // The owner node of q3 holds all of q3: the direct comparison.
  const ring = createHashRing('ketama', ['a', 'b'], 'idx');
  const owner = cluster.node(ring.owner(shardKey(DB, 'q3')) === 0 ? 'a' : 'b');
  const small = `/query?db=${DB}&q=${encodeURIComponent("SELECT last(v) FROM q3 WHERE host = 'h3'")}`;
  await timed(owner.url, small, 200, 1);
  await timed(proxy.url, small, 200, 1);
  const direct = await timed(owner.url, small, 2000, 1);
  const through = await timed(proxy.url, small, 2000, 1);

  const shows = [`SHOW MEASUREMENTS`, `SHOW TAG KEYS`, `SHOW SERIES LIMIT 100`];
  const showRows: string[] = [];
  for (const show of shows) {
    const path = `/query?db=${DB}&q=${encodeURIComponent(show)}`;
    // One node asked directly answers for its half only: the reference for what a fan-out costs.
    const one = await timed(cluster.node('a').url, path, 1000, 8);
    const result = await timed(proxy.url, path, 1000, 8);
    showRows.push(
      `| \`${show}\` | ${Math.round(one.perSecond)} | ${Math.round(result.perSecond)} | ${percentile(result.latencies, 0.5).toFixed(2)} | ${percentile(result.latencies, 0.99).toFixed(2)} | ${(result.perSecond / one.perSecond).toFixed(2)}× |`,
    );
  }

  // Large results streamed through the proxy in chunks: the proxy's memory, sampled while it streams,
  // for a quarter of the rows and for all of them (constant memory: the same peak for both).
  const pid = proxy.proc.child.pid as number;
  const bigOwner = cluster.node(ring.owner(shardKey(DB, 'qbig')) === 0 ? 'a' : 'b');
  const streams: string[] = [];
  for (const rows of [BIG_POINTS / 4, BIG_POINTS]) {
    const path = `/query?db=${DB}&chunked=true&chunk_size=10000&q=${encodeURIComponent(`SELECT * FROM qbig LIMIT ${rows}`)}`;
    const baseline = rssMb(pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(pid));
    }, 20);
    const streamedThrough = await stream(`${proxy.url}${path}`);
    clearInterval(sampler);
    const streamedDirect = await stream(`${bigOwner.url}${path}`);
    streams.push(
      `| ${rows} | ${(streamedThrough.bytes / 1e6).toFixed(0)} | ${streamedDirect.seconds.toFixed(1)} | ${streamedThrough.seconds.toFixed(1)} | ${baseline.toFixed(0)} | ${peak.toFixed(0)} |`,
    );
  }
  await proxy.proc.stop();
  await cluster.dropDatabase(DB);

  const p = (r: { latencies: number[] }, q: number): string => percentile(r.latencies, q).toFixed(3);
  return [
    'Queries (1 circle × 2 nodes):',
    '',
    '| small query `SELECT last(v) FROM q3 WHERE host = \'h3\'`, 2000 in a row | p50 ms | p99 ms |',
    '|---|---|---|',
    `| direct to the owner node | ${p(direct, 0.5)} | ${p(direct, 0.99)} |`,
    `| through the proxy | ${p(through, 0.5)} | ${p(through, 0.99)} |`,
    `| added by the proxy | ${(percentile(through.latencies, 0.5) - percentile(direct.latencies, 0.5)).toFixed(3)} | ${(percentile(through.latencies, 0.99) - percentile(direct.latencies, 0.99)).toFixed(3)} |`,
    '',
    '| SHOW, 8 clients | one node directly, queries/s | through the proxy (fan-out to 2 nodes), queries/s | p50 ms | p99 ms | × one node |',
    '|---|---|---|---|---|---|',
    ...showRows,
    '',
    '| chunked `SELECT * FROM qbig LIMIT n`, rows | MB | direct from the owner, s | through the proxy, s | proxy RSS before, MB | proxy RSS peak while streaming, MB |',
    '|---|---|---|---|---|---|',
    ...streams,
    '',
  ].join('\n');
}
