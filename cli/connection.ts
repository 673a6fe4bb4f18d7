// Where the proxy is and who we are to it, resolved once per command from flags, environment and the
// local cluster file, so every command finds the proxy the same way:
//   URL:          --proxy, else INFLUXRING_PROXY_URL, else `proxyUrl` in the local cluster file;
//   admin token:  --token, else INFLUXRING_ADMIN_TOKEN (the variable the proxy itself reads), else
//                 `adminToken` in the local cluster file (only when the URL came from that file too: a
//                 local token is never sent to another proxy);
//   proxy user:   --username/--password, else INFLUXRING_USERNAME/INFLUXRING_PASSWORD (Basic auth; only
//                 `import` sends one, since in admin commands those flags name a node's credentials).
// The local cluster file is `cluster.json` in $INFLUXRING_LOCAL_DIR or <project root>/.local/cluster/,
// written by `npm start`. The flag is --proxy, not --url, because `nodes add --url` is the node's URL.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../proxy/version.js';
import { CliError, usageError } from './errors.js';
import type { FlagSpec, ParsedFlags } from './flags.js';

export interface Connection {
  /** Base URL of the proxy, without a trailing slash. */
  readonly url: string;
  /** Where the URL came from, for messages: `--proxy`, `INFLUXRING_PROXY_URL` or the cluster file's path. */
  readonly source: string;
  /** Token for the admin API, or null. */
  readonly adminToken: string | null;
  /** Where the token came from (like `source`), or null without one. */
  readonly tokenSource: string | null;
  /** Proxy user for data endpoints (/write, /query), or null for none. */
  readonly username: string | null;
  readonly password: string | null;
}

/** The flags every command that talks to the proxy takes. */
export const PROXY_FLAG: FlagSpec = { name: 'proxy', kind: 'string', value: 'URL', help: 'proxy URL (default: $INFLUXRING_PROXY_URL, else the local cluster)' };
export const TOKEN_FLAG: FlagSpec = { name: 'token', kind: 'string', value: 'TOKEN', help: 'admin API token (default: $INFLUXRING_ADMIN_TOKEN, else the local cluster)' };
/** The connection flags of the admin commands. */
export const ADMIN_CONNECTION_FLAGS: readonly FlagSpec[] = [PROXY_FLAG, TOKEN_FLAG];
export const USER_FLAGS: readonly FlagSpec[] = [
  { name: 'username', kind: 'string', value: 'USER', help: 'proxy user, sent as Basic auth (default: $INFLUXRING_USERNAME)' },
  { name: 'password', kind: 'string', value: 'PASS', help: "the user's password (default: $INFLUXRING_PASSWORD)" },
];

/** The local cluster file that `npm start` writes. */
function localClusterFile(env: NodeJS.ProcessEnv): string {
  const dir = env.INFLUXRING_LOCAL_DIR;
  return join(dir !== undefined && dir !== '' ? dir : join(projectRoot(), '.local', 'cluster'), 'cluster.json');
}

interface LocalCluster {
  url: string;
  adminToken: string | null;
}

/** The local cluster file's proxy URL and token, or null when there is no such file. */
function readLocalCluster(file: string): LocalCluster | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError('IRX_ERR_CLI_LOCAL_CLUSTER', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CliError('IRX_ERR_CLI_LOCAL_CLUSTER', `${file} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const object = (parsed !== null && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
  // `proxy` is the key the first `npm start` wrote; `proxyUrl` is the one it writes now.
  const url = object.proxyUrl ?? object.proxy;
  if (typeof url !== 'string' || url === '') {
    throw new CliError('IRX_ERR_CLI_LOCAL_CLUSTER', `${file} has no "proxyUrl": restart the local cluster with npm start, or give --proxy`);
  }
  const token = object.adminToken;
  return { url, adminToken: typeof token === 'string' && token !== '' ? token : null };
}

/** A URL as given, checked and without its trailing slash. */
function normalizeUrl(given: string, source: string): string {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw usageError(`proxy URL "${given}" (from ${source}) is not a URL: write it like http://127.0.0.1:7076`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`proxy URL "${given}" (from ${source}) must start with http:// or https://`);
  }
  if (url.search !== '' || url.hash !== '') throw usageError(`proxy URL "${given}" (from ${source}) must not have a query or fragment`);
  return url.toString().replace(/\/+$/, '');
}

function nonEmpty(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

/**
 * Resolves the connection for a command from its flags and the environment. `proxyUser`: whether the
 * command's --username/--password are the proxy user (import) rather than something else.
 */
export function resolveConnection(flags: ParsedFlags, env: NodeJS.ProcessEnv, options: { proxyUser: boolean }): Connection {
  let url: string;
  let source: string;
  let fileToken: string | null = null;
  const flagUrl = nonEmpty(flags.string('proxy'));
  const envUrl = nonEmpty(env.INFLUXRING_PROXY_URL);
  if (flagUrl !== null) {
    url = flagUrl;
    source = '--proxy';
  } else if (envUrl !== null) {
    url = envUrl;
    source = 'INFLUXRING_PROXY_URL';
  } else {
    const file = localClusterFile(env);
    const local = readLocalCluster(file);
    if (local === null) {
      throw new CliError(
        'IRX_ERR_CLI_NO_PROXY',
        `no proxy to talk to: give --proxy http://HOST:PORT, set INFLUXRING_PROXY_URL, or start the local cluster with npm start (no ${file})`,
      );
    }
    url = local.url;
    source = file;
    fileToken = local.adminToken;
  }

  let username: string | null = null;
  let password: string | null = null;
  if (options.proxyUser) {
    username = nonEmpty(flags.string('username')) ?? nonEmpty(env.INFLUXRING_USERNAME);
    password = flags.string('password') ?? env.INFLUXRING_PASSWORD ?? null;
    if (username === null && nonEmpty(password) !== null) throw usageError('a password is given but no user: add --username (or INFLUXRING_USERNAME)');
    if (username !== null && password === null) throw usageError(`user "${username}" has no password: add --password (or INFLUXRING_PASSWORD)`);
  }

  const flagToken = nonEmpty(flags.string('token'));
  const envToken = nonEmpty(env.INFLUXRING_ADMIN_TOKEN);
  const [adminToken, tokenSource] =
    flagToken !== null ? [flagToken, '--token'] : envToken !== null ? [envToken, 'INFLUXRING_ADMIN_TOKEN'] : fileToken !== null ? [fileToken, source] : [null, null];

  return {
    url: normalizeUrl(url, source),
    source,
    adminToken,
    tokenSource,
    username,
    password: username === null ? null : password,
  };
}

/** The Authorization header for the proxy user, or null without one. */
export function basicAuthorization(connection: Connection): string | null {
  if (connection.username === null) return null;
  return `Basic ${Buffer.from(`${connection.username}:${connection.password ?? ''}`, 'utf8').toString('base64')}`;
}
