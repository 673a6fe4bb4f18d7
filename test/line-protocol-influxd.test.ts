// The scanner against a real influxd 1.6.7: for hand-written bodies and for random bodies from a
// seeded generator, the scanner and influxd must agree on which lines are bad and why, to the byte
// of influxd's error text. influxd answers 204 ⇔ the scanner finds no bad line; influxd's
// `unable to parse` error ⇔ the scanner's messages, joined as influxd joins them. Errors influxd
// raises only when storing (field type conflicts, invalid field names) say the syntax was valid:
// those bodies are counted and skipped. CRLF is left out: accepting it is a deliberate difference.
// Two more checks against the same influxd: lines it cannot take at all (a parser crash), and the
// measurement name it stores a line's points under (which decides the shard key).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInfluxd, type InfluxdServer } from '../deploy/local/influxd.js';
import { parseErrorMessage, scanLines, unescapeMeasurement } from '../proxy/line-protocol.js';
import { query } from './helpers/cluster.js';
import { prng } from './helpers/random.js';

let dir = '';
let influxd: InfluxdServer | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'influxring-lp-influxd-'));
  influxd = await startInfluxd({ name: 'lp-differential', dir: join(dir, 'influxd') });
});

afterAll(async () => {
  await influxd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function server(): InfluxdServer {
  if (!influxd) throw new Error('influxd did not start');
  return influxd;
}

/** A database whose shard groups span ~190 years, so timestamps anywhere in range make few shards. */
async function createDatabase(name: string): Promise<void> {
  const result = (await query(server().url, `CREATE DATABASE "${name}" WITH SHARD DURATION 10000w`)) as { results: { error?: string }[] };
  expect(result.results[0]?.error).toBeUndefined();
}

async function dropDatabase(name: string): Promise<void> {
  await query(server().url, `DROP DATABASE "${name}"`);
}

interface ScannerVerdict {
  readonly valid: number;
  readonly messages: string[];
}

function scannerVerdict(body: Buffer, precision: string): ScannerVerdict {
  let valid = 0;
  const messages: string[] = [];
  scanLines(body, { precision, maxLineBytes: 1024 * 1024 }, {
    line() {
      valid++;
    },
    invalid(start, end, reason) {
      messages.push(parseErrorMessage(body, start, end, reason));
    },
  });
  return { valid, messages };
}

/** influxd's error text for these parse failures: joined by newlines, wrapped when some lines were good. */
function influxdText(verdict: ScannerVerdict): string | null {
  if (verdict.messages.length === 0) return null;
  const joined = verdict.messages.join('\n');
  return verdict.valid > 0 ? `partial write: ${joined} dropped=0` : joined;
}

type Agreement = 'agree' | 'write-error' | { mismatch: string };

async function compareWithInfluxd(db: string, body: Buffer, precision: string): Promise<Agreement> {
  const response = await fetch(`${server().url}/write?db=${db}&precision=${encodeURIComponent(precision)}`, { method: 'POST', body });
  const text = await response.text();
  const verdict = scannerVerdict(body, precision);
  const expected = influxdText(verdict);
  const report = (why: string): Agreement => ({
    mismatch: [
      `${why}`,
      `  body:      ${JSON.stringify(body.toString('utf8'))}`,
      `  precision: ${JSON.stringify(precision)}`,
      `  influxd:   ${response.status} ${text.trim()}`,
      `  scanner:   ${verdict.valid} valid line(s), error ${JSON.stringify(expected)}`,
    ].join('\n'),
  });
  if (response.status === 204) return expected === null ? 'agree' : report('influxd accepted every line, the scanner did not');
  let error: string;
  try {
    error = String((JSON.parse(text) as { error?: unknown }).error);
  } catch {
    return report('influxd answered without a JSON error');
  }
  if (response.status === 400 && error.includes('unable to parse')) {
    return error === expected ? 'agree' : report('influxd and the scanner disagree on the bad lines');
  }
  // A storage-time error: influxd parsed at least one point, so the scanner must have found one.
  if (response.status === 400 && verdict.valid > 0) return 'write-error';
  return report('unexpected answer from influxd');
}

/** A hand-written corpus: [body, precision]. Each runs in a database of its own. */
const CORPUS: readonly (readonly [string, string])[] = [
  ['cpu v=1', 'n'],
  ['cpu,host=a v=1 1', 'n'],
  ['my\\ cpu v=1', 'n'],
  ['my\\,cpu,host=a v=1', 'n'],
  ['c:\\path v=1', 'n'],
  ['m\\\\x v=1', 'n'],
  ['a=b v=1', 'n'],
  ['ünïcode\\ m,t=ö v=1', 'n'],
  [',m v=1', 'n'],
  ['m', 'n'],
  ['m,a=1', 'n'],
  ['m\\\\ v=1', 'n'],
  ['trail\\ v=1', 'n'],
  ['m,host=a\\ b,dc=x\\,y v=1', 'n'],
  ['m,k\\=ey=v v=1', 'n'],
  ['m,a=b\\=c v=1', 'n'],
  ['m,=x v=1', 'n'],
  ['m, v=1', 'n'],
  ['m,a v=1', 'n'],
  ['m,a= v=1', 'n'],
  ['m,t\\\\=x v=1', 'n'],
  ['m,a=b=c v=1', 'n'],
  ['m,a=1,a=2 v=1', 'n'],
  ['m,b=1,a=2,b=3 v=1', 'n'],
  ['m,a=1,b=2,a=3 v=1', 'n'],
  ['m,c=1,b=2,a=3 v=1', 'n'],
  ['m f=1.5,i=-3i,s="x",b=t,B=FALSE,c=True 1', 'n'],
  ['m s="a b,c=d" 1', 'n'],
  ['m s="say \\"hi\\""', 'n'],
  ['m s="a\\\\"', 'n'],
  ['m a\\=b=1', 'n'],
  ['m v=1e5,w=-1.5E-3', 'n'],
  ['m =1', 'n'],
  ['m v=1,=2', 'n'],
  ['m v=', 'n'],
  ['m v=,w=1', 'n'],
  ['m v', 'n'],
  ['m ,v=1', 'n'],
  ['m ', 'n'],
  ['m v=1,', 'n'],
  ['m f\\=1', 'n'],
  ['m v="abc', 'n'],
  ['m v=1.2.3', 'n'],
  ['m v=1i2', 'n'],
  ['m v=-', 'n'],
  ['m v=1u', 'n'],
  ['m v=1.5i', 'n'],
  ['m v=1e', 'n'],
  ['m v=1e500', 'n'],
  ['m v=tru', 'n'],
  ['m v=yes', 'n'],
  ['m v=tRUE', 'n'],
  ['m v=9223372036854775807i', 'n'],
  ['m v=-9223372036854775808i', 'n'],
  ['m v=9999999999999999999i', 'n'],
  ['m v=9223372036854775808i', 'n'],
  ['m v=-9223372036854775809i', 'n'],
  ['m v=9999999999999999999', 'n'],
  ['m a\\\\=1', 'n'],
  ['m v="a\\\\",b\\\\=1', 'n'],
  ['m a\\\\=1,b=2', 'n'],
  ['m v=1 ', 'n'],
  ['m v=1  1', 'n'],
  ['m v=1 1 ', 'n'],
  ['m v=1 -1', 'n'],
  ['m v=1 1x', 'n'],
  ['m v=1 1-', 'n'],
  ['m v=1 --1', 'n'],
  ['m v=1 1\t', 'n'],
  ['m v=1\t1', 'n'],
  ['m v=1 -', 'n'],
  ['m v=1 1 2', 'n'],
  ['m v=1 99999999999999999999', 'n'],
  ['m v=1 99999999999999999999', 's'],
  ['m v=1 9223372036854775806', 'n'],
  ['m v=1 9223372036854775807', 'n'],
  ['m v=1 -9223372036854775806', 'n'],
  ['m v=1 -9223372036854775807', 'n'],
  ['m v=1 9223372036854775807', 'ns'],
  ['m v=1 9223372036854775807', 'x'],
  ['m v=1 9223372036854775807', ''],
  ['m v=1 9223372036854775', 'u'],
  ['m v=1 9223372036854776', 'u'],
  ['m v=1 9223372036854', 'ms'],
  ['m v=1 9223372036855', 'ms'],
  ['m v=1 -9223372036855', 'ms'],
  ['m v=1 9223372036', 's'],
  ['m v=1 9223372037', 's'],
  ['m v=1 -9223372037', 's'],
  ['m v=1 9223372037', 'x'],
  ['m v=1 153722867', 'm'],
  ['m v=1 153722868', 'm'],
  ['m v=1 2562047', 'h'],
  ['m v=1 2562048', 'h'],
  ['m v=1 -2562048', 'h'],
  ['m v=1 0000000000000000000009', 'n'],
  ['a v=1\nb,t=x v=2 3\nc v=\n', 'n'],
  ['m s="line1\nline2",v=1 5\nm2 v=2', 'n'],
  ['m,t="a\nb" v=1', 'n'],
  ['m s="x\nm2 v=2\n', 'n'],
  ['m s=\\"x\nm2 v=2', 'n'],
  ['# a comment\nm v=1\n#m v=2\n   # indented comment\n', 'n'],
  ['\n\nm v=1\n   \n\t\n \t \nm v=2\n\n', 'n'],
  ['  m v=1\n\t\tm v=2', 'n'],
  ['m v=1,s="a"\\\nm v=2', 'n'],
  ['a v=1\nbad\nb v=2', 'n'],
  ['bad\nworse v\n', 'n'],
  ['m v="a\\"b\\\\",w="\\\\\\"" 1', 'n'],
  ['m v="\n\n\n"\n\nm v="x"', 'n'],
  ['m\\"x v=1', 'n'],
  ['m,t=\\"x v=1', 'n'],
  ['m,t=a v="x=1,y=2"', 'n'],
  ['m v=1 1\nm v=2 2\nm v=3 x\nm v=4 4', 'n'],
];

describe('the scanner and influxd 1.6.7 agree', () => {
  it('on every body of the hand-written corpus', async () => {
    const mismatches: string[] = [];
    for (const [i, [body, precision]] of CORPUS.entries()) {
      const db = `corpus_${i}`;
      await createDatabase(db);
      const agreement = await compareWithInfluxd(db, Buffer.from(body), precision);
      await dropDatabase(db);
      if (typeof agreement === 'object') mismatches.push(agreement.mismatch);
    }
    for (const mismatch of mismatches) console.error(mismatch);
    expect(mismatches).toEqual([]);
  });

  it('on 1500 random bodies of tricky fragments (mulberry32, seed 0x1f2e3d4c)', async () => {
    const db = 'random_bodies';
    await createDatabase(db);
    const random = prng(0x1f2e3d4c);
    const mismatches: string[] = [];
    const counts = { agree: 0, 'write-error': 0, mismatch: 0, allValid: 0, mixed: 0, allInvalid: 0 };
    for (let n = 0; n < 1500; n++) {
      const body = Buffer.from(randomBody(random, n));
      const precision = random() < 0.7 ? 'n' : pick(random, PRECISIONS);
      const agreement = await compareWithInfluxd(db, body, precision);
      if (typeof agreement === 'object') {
        counts.mismatch++;
        mismatches.push(agreement.mismatch);
        continue;
      }
      counts[agreement]++;
      const verdict = scannerVerdict(body, precision);
      if (verdict.messages.length === 0) counts.allValid++;
      else if (verdict.valid > 0) counts.mixed++;
      else counts.allInvalid++;
    }
    console.log('random bodies:', JSON.stringify(counts));
    for (const mismatch of mismatches.slice(0, 25)) console.error(mismatch);
    expect(mismatches).toEqual([]);
    // The generator must keep producing every kind of body, or this test proves little.
    expect(counts.agree).toBeGreaterThan(1500 * 0.8);
    expect(counts.allValid).toBeGreaterThan(150);
    expect(counts.mixed).toBeGreaterThan(150);
    expect(counts.allInvalid).toBeGreaterThan(150);
  });

  it('on a line influxd cannot take: exactly 100 tags crash its parser (500), so the scanner must reject it', async () => {
    // influxd 1.6.7's scanTags writes indices[commas] after its last tag without growing the slice
    // (initial length 100, doubled when full): 100, 200, 400… tags panic ("index out of range [100]
    // with length 100") and the whole request gets a bare 500. A line the node can never store must
    // get a 400 at the proxy: accepted, it would sit in the node's replay buffer for ever, and
    // every batch it is merged into would fail with it.
    const db = 'hundred_tags';
    await createDatabase(db);
    for (const tags of [99, 100, 101, 200]) {
      const line = `m${Array.from({ length: tags }, (_, i) => `,t${String(i).padStart(3, '0')}=x`).join('')} v=1`;
      const response = await fetch(`${server().url}/write?db=${db}`, { method: 'POST', body: line });
      await response.text();
      const crashes = tags === 100 || tags === 200;
      expect(response.status, `${tags} tags`).toBe(crashes ? 500 : 204);
      const verdict = scannerVerdict(Buffer.from(line), 'n');
      expect({ tags, valid: verdict.valid, invalid: verdict.messages.length }).toEqual({ tags, valid: crashes ? 0 : 1, invalid: crashes ? 1 : 0 });
    }
  });

  it('on the measurement name: unescapeMeasurement gives the name influxd stores the points under', async () => {
    const escaped = ['plain', 'my\\ cpu', 'my\\,cpu', 'a\\,b\\ c', 'c:\\path', 't\\\\ty', 'ünï\\ code', 'x=y', 'a\\=b', 'q\\"r'];
    const db = 'measurement_names';
    await createDatabase(db);
    const body = escaped.map((m, i) => `${m},n=${i} v=${i}`).join('\n');
    const response = await fetch(`${server().url}/write?db=${db}`, { method: 'POST', body });
    expect(response.status, await response.text()).toBe(204);
    // Where each point is found: the series name a SELECT returns it under, by its tag n.
    const result = (await query(server().url, 'SELECT v FROM /.*/ GROUP BY n', db)) as {
      results: { series?: { name: string; tags: { n: string } }[] }[];
    };
    const stored = new Map((result.results[0]?.series ?? []).map((series) => [Number(series.tags.n), series.name]));
    const fromInfluxd = escaped.map((m, i) => `${m} → ${stored.get(i)}`);
    const fromScanner = escaped.map((m) => `${m} → ${unescapeMeasurement(Buffer.from(m), 0, Buffer.byteLength(m))}`);
    expect(fromScanner).toEqual(fromInfluxd);
  });
});

// --- the random body generator

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

const PRECISIONS = ['n', 'ns', 'u', 'ms', 's', 'm', 'h', 'x'];

/** Everything a line may hold, good and bad; no `\r` (CRLF is a deliberate difference). */
const FRAGMENTS = [
  'a', 'b', 'k', 'v', 'cpu', 'ü', ' ', ' ', ',', ',', '=', '=', '"', '"', '\\', '\\', '\n', '\t', '#',
  '1', '0', '42', '1i', '-1i', '1e5', '1E-3', '1.5', '9999999999999999999', '9223372036854775807i', '1u',
  '-', '.', 't', 'f', 'FALSE', 'True', 'true', 'tru', '"s p"', '"a,b=c"', '\\ ', '\\,', '\\=', '\\"',
];

const TAG_KEYS = ['host', 'dc', 'a\\ b', 'k\\=v', 'x\\,y', 'z'];
const TAG_VALUES = ['a', 'b1', 'x\\ y', 'p\\,q', 'e\\=f', 'ü', '"q"'];
const FIELD_KEYS = ['v', 'w', 'f\\ k', 'g\\,k', 'h\\=k', 'ü'];
const FIELD_VALUES = [
  '1', '-1.5', '1e5', '.5', '1i', '-7i', '9223372036854775807i', 't', 'F', 'FALSE', 'True', 'false',
  '"s p"', '"a,b=c"', '"say \\"hi\\""', '"x\ny"', '"back\\\\"', '""',
];
const TIMESTAMPS = [
  '1', '0', '-1', '1700000000', '1700000000000000000', '9223372036854775806', '9223372036854775807',
  '-9223372036854775806', '-9223372036854775807', '99999999999999999999', '9223372036', '9223372037',
  '153722868', '2562048', '9223372036855',
];

function fragments(random: () => number, min: number, max: number): string {
  let out = '';
  const count = min + Math.floor(random() * (max - min + 1));
  for (let i = 0; i < count; i++) out += pick(random, FRAGMENTS);
  return out;
}

/** A line that is usually well formed, with a measurement of its own (so bodies rarely conflict on types). */
function structuredLine(random: () => number, measurement: string): string {
  let line = measurement;
  if (random() < 0.15) line += fragments(random, 1, 2);
  const tags = Math.floor(random() * 4);
  for (let i = 0; i < tags; i++) {
    line += `,${random() < 0.1 ? fragments(random, 1, 2) : pick(random, TAG_KEYS)}=${random() < 0.1 ? fragments(random, 1, 2) : pick(random, TAG_VALUES)}`;
  }
  line += ' ';
  const fields = 1 + Math.floor(random() * 3);
  const used = new Set<string>();
  for (let i = 0; i < fields; i++) {
    let key = random() < 0.1 ? fragments(random, 1, 2) : pick(random, FIELD_KEYS);
    if (used.has(key)) key += String(i);
    used.add(key);
    line += `${i > 0 ? ',' : ''}${key}=${random() < 0.1 ? fragments(random, 1, 2) : pick(random, FIELD_VALUES)}`;
  }
  if (random() < 0.5) line += ` ${random() < 0.1 ? fragments(random, 1, 2) : pick(random, TIMESTAMPS)}`;
  if (random() < 0.3) {
    // one mutation: insert, replace or delete a few characters
    const at = Math.floor(random() * (line.length + 1));
    const cut = random() < 0.5 ? 0 : 1 + Math.floor(random() * 3);
    line = line.slice(0, at) + (random() < 0.8 ? fragments(random, 1, 2) : '') + line.slice(at + cut);
  }
  return line;
}

function randomBody(random: () => number, n: number): string {
  const lines: string[] = [];
  const count = 1 + Math.floor(random() * 5);
  for (let i = 0; i < count; i++) {
    if (random() < 0.2) lines.push(fragments(random, 1, 12));
    else lines.push(structuredLine(random, `b${n}_${i}`));
  }
  return lines.join(random() < 0.5 ? '\n' : pick(random, ['\n\n', '\n \n', '\n#c\n'])) + (random() < 0.3 ? '\n' : '');
}
