// Loads the configuration: a YAML or JSON file, then environment overrides, validated by the one
// schema. A bad value stops the process with a message naming the key (and the variable or file it
// came from) and why.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { configSchema, type Config } from './schema.js';

export const ENV_PREFIX = 'INFLUXRING_';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'IRX_ERR_CONFIG_INVALID';
}

export interface LoadConfigOptions {
  /** Path of a YAML or JSON file; when absent, `INFLUXRING_CONFIG` is used, else only env and defaults. */
  file?: string | undefined;
  /** Environment to read overrides from. */
  env?: NodeJS.ProcessEnv;
  /** Values merged over the file before the environment (used by tests and the local cluster). */
  overrides?: Record<string, unknown>;
}

/** One configurable leaf: its path in the file and the environment variable that overrides it. */
export interface ConfigLeaf {
  path: string[];
  envName: string;
  schema: z.ZodType;
}

type AnySchema = z.ZodType & { _zod: { def: Record<string, unknown> } };

function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const def = current._zod.def;
    if (def.type === 'prefault' || def.type === 'default' || def.type === 'optional') {
      current = def.innerType as AnySchema;
    } else if (def.type === 'pipe') {
      current = def.in as AnySchema;
    } else {
      return current;
    }
  }
}

function envName(path: string[]): string {
  return ENV_PREFIX + path.map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** Every leaf of the schema (objects are walked; arrays and scalars are leaves). */
export function configLeaves(): ConfigLeaf[] {
  const leaves: ConfigLeaf[] = [];
  const walk = (schema: AnySchema, path: string[]): void => {
    const inner = unwrap(schema);
    if (inner._zod.def.type === 'object') {
      const shape = (inner as unknown as z.ZodObject).shape as Record<string, AnySchema>;
      for (const [key, child] of Object.entries(shape)) walk(child, [...path, key]);
      return;
    }
    leaves.push({ path, envName: envName(path), schema });
  };
  walk(configSchema as unknown as AnySchema, []);
  return leaves;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function mergeDeep(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    if (value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' && !Array.isArray(current)) {
      out[key] = mergeDeep(current as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** An environment value: taken as a string when the key accepts it, else parsed as JSON (numbers, booleans, arrays). */
function envValue(leaf: ConfigLeaf, raw: string): unknown {
  if (leaf.schema.safeParse(raw).success) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function readFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid YAML or JSON: ${(err as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold an object at the top level`);
  }
  return parsed as Record<string, unknown>;
}

/** Loads, merges and validates; throws ConfigError naming every bad key. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env[`${ENV_PREFIX}CONFIG`];
  let raw: Record<string, unknown> = file ? readFile(file) : {};
  if (options.overrides) raw = mergeDeep(raw, options.overrides);

  const fromEnv = new Map<string, string>();
  for (const leaf of configLeaves()) {
    const value = env[leaf.envName];
    if (value === undefined || value === '') continue;
    setPath(raw, leaf.path, envValue(leaf, value));
    fromEnv.set(leaf.path.join('.'), leaf.envName);
  }

  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.map(String).join('.') || '(top level)';
    const source = [...fromEnv.entries()].find(([path]) => key === path || key.startsWith(`${path}.`));
    const where = source ? ` (from ${source[1]})` : file ? ` (in ${file})` : '';
    return `  ${key}: ${issue.message}${where}`;
  });
  throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
}

/** One line per circle, logged at start. */
export function circleSummaries(config: Config): string[] {
  return config.circles.map(
    (circle) =>
      `circle ${circle.name}: ${circle.nodes.length} node(s) [${circle.nodes.map((n) => `${n.name} ${n.url}`).join(', ')}], ring ${config.ring.mode}`,
  );
}
