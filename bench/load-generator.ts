// A write load in its own process (so its CPU is not counted as the proxy's): `concurrency` clients,
// each sending `lines`-line requests back to back for `seconds`. Every point is unique (a global
// nanosecond counter in the timestamp), so the points that landed can be counted afterwards. Bodies
// are built from a template by patching the timestamps in place: the generator stays cheap.
// With --rate, the clients together offer at most that many points per second (an open, steady load
// instead of as much as the proxy takes). Prints one JSON line: requests, acknowledged points,
// failures, latency percentiles.
import { Pool } from 'undici';

interface Args {
  url: string;
  path: string;
  concurrency: number;
  lines: number;
  seconds: number;
  measurements: number;
  /** Nanosecond timestamp of the first point; later points count up from it. */
  base: bigint;
  /** Points per second offered by all clients together (0: as fast as they are acknowledged). */
  rate: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string): string => {
    const at = argv.indexOf(`--${name}`);
    const value = at === -1 ? undefined : argv[at + 1];
    if (value === undefined) throw new Error(`missing --${name}`);
    return value;
  };
  return {
    url: get('url'),
    path: get('path'),
    concurrency: Number(get('concurrency')),
    lines: Number(get('lines')),
    seconds: Number(get('seconds')),
    measurements: Number(get('measurements')),
    base: BigInt(get('base')),
    rate: argv.includes('--rate') ? Number(get('rate')) : 0,
  };
}

const TS_DIGITS = 19;

/** A request body template and the offsets of its timestamps. */
function template(lines: number, measurements: number, writer: number): { body: Buffer; offsets: Int32Array } {
  const parts: string[] = [];
  for (let i = 0; i < lines; i++) {
    const m = (writer * 7 + i) % measurements;
    parts.push(`m${m},host=h${i % 50},region=r${writer % 4} v=${(i * 0.37).toFixed(2)},n=${i}i ${'0'.repeat(TS_DIGITS)}\n`);
  }
  const body = Buffer.from(parts.join(''));
  const offsets = new Int32Array(lines);
  let at = 0;
  for (let i = 0; i < lines; i++) {
    const nl = body.indexOf(0x0a, at);
    offsets[i] = nl - TS_DIGITS;
    at = nl + 1;
  }
  return { body, offsets };
}

function writeTimestamp(body: Buffer, offset: number, value: bigint): void {
  const digits = value.toString();
  body.write(digits, offset + TS_DIGITS - digits.length, 'latin1');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const pool = new Pool(args.url, { connections: args.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  let next = args.base;
  let acknowledged = 0;
  let failed = 0;
  let requests = 0;
  const failures = new Map<string, number>();
  const latencies: number[] = [];
  const deadline = performance.now() + args.seconds * 1000;

  const client = async (writer: number): Promise<void> => {
    const { body, offsets } = template(args.lines, args.measurements, writer);
    const began = performance.now();
    const perClient = args.rate / args.concurrency;
    let sent = 0;
    while (performance.now() < deadline) {
      if (perClient > 0) {
        const due = began + ((sent * args.lines) / perClient) * 1000 - performance.now();
        if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
        sent++;
      }
      const send = Buffer.from(body);
      for (let i = 0; i < offsets.length; i++) writeTimestamp(send, offsets[i] as number, next++);
      const started = performance.now();
      try {
        const response = await pool.request({ method: 'POST', path: args.path, body: send, headers: { 'content-type': 'text/plain' } });
        const text = await response.body.text();
        requests++;
        if (response.statusCode === 204) {
          acknowledged += args.lines;
          latencies.push(performance.now() - started);
        } else {
          failed += args.lines;
          const key = `${response.statusCode} ${text.slice(0, 120)}`;
          failures.set(key, (failures.get(key) ?? 0) + 1);
        }
      } catch (err) {
        failed += args.lines;
        const key = (err as Error).message;
        failures.set(key, (failures.get(key) ?? 0) + 1);
      }
    }
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: args.concurrency }, (_, w) => client(w)));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  process.stdout.write(
    `${JSON.stringify({
      requests,
      acknowledged,
      failed,
      elapsed,
      p50: pct(0.5),
      p99: pct(0.99),
      failures: Object.fromEntries(failures),
      lastTimestamp: String(next),
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`load-generator: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
