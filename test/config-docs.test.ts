// The documentation cannot drift from the code: the README's configuration table must be exactly what
// config/reference.ts generates from the schema (a key added without `npm run docs:config` fails
// here), and every error code of the registry in proxy/errors.ts must have its row, with its status,
// in docs/architecture.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configLeaves } from '../config/load.js';
import { buildConfigTable, readConfigTable, readmePath, replaceConfigTable } from '../config/reference.js';
import { ERRORS } from '../proxy/errors.js';
import { projectRoot } from '../proxy/version.js';

const readme = readFileSync(readmePath(), 'utf8');
const architecture = readFileSync(join(projectRoot(), 'docs', 'architecture.md'), 'utf8');

describe('the configuration table in README.md', () => {
  it('is what `npm run docs:config` generates from config/schema.ts', () => {
    expect(readConfigTable(readme), 'README.md is out of date: run `npm run docs:config`').toBe(buildConfigTable());
  });

  it('has a row, with its environment variable, for every key of the schema', () => {
    const table = buildConfigTable();
    for (const leaf of configLeaves()) {
      expect(table).toContain(`| \`${leaf.path.join('.')}\` | \`${leaf.envName}\` |`);
    }
  });

  it('has rows for the fields of list items, and the defaults as written in the schema', () => {
    const table = buildConfigTable();
    expect(table).toContain('| `write.flushLines` | `INFLUXRING_WRITE_FLUSH_LINES` |');
    expect(table).toMatch(/^\| `circles\[\]\.nodes\[\]\.url` \| — \| URL \| required \|/m);
    expect(table).toMatch(/^\| `auth\.users\[\]\.passwordHash` \| — \|/m);
    expect(table).toMatch(/^\| `limits\.maxCompressedBodyBytes` \| `INFLUXRING_LIMITS_MAX_COMPRESSED_BODY_BYTES` \| size \| `25MB` \|/m);
    expect(table).toMatch(/^\| `replay\.lockTtl` \| `INFLUXRING_REPLAY_LOCK_TTL` \| duration \| `10s` \|/m);
  });

  it('is replaced between the markers and nowhere else', () => {
    const text = 'before\n<!-- config-table:start -->\nold\n<!-- config-table:end -->\nafter\n';
    const updated = replaceConfigTable(text, '| new |');
    expect(updated).toBe('before\n<!-- config-table:start -->\n| new |\n<!-- config-table:end -->\nafter\n');
    expect(readConfigTable(updated)).toBe('| new |');
    expect(() => replaceConfigTable('no markers', '| x |')).toThrow(/config-table:start/);
  });
});

/** Code → status, from the rows of the error code table. */
function documentedCodes(markdown: string): Map<string, number> {
  return new Map([...markdown.matchAll(/^\| `(IRX_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((match) => [match[1] as string, Number(match[2])]));
}

describe('the error codes in docs/architecture.md', () => {
  const documented = documentedCodes(architecture);

  it.each(Object.entries(ERRORS))('%s is documented with its status', (code, definition) => {
    expect(documented.get(code), `add a row for ${code} to the error code table of docs/architecture.md`).toBe(definition.status);
  });

  it('documents no code that the registry does not have', () => {
    expect(documented.size).toBeGreaterThan(0);
    const unknown = [...documented.keys()].filter((code) => !(code in ERRORS));
    expect(unknown, 'documented in docs/architecture.md but not in proxy/errors.ts').toEqual([]);
  });
});
