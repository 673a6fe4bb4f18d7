// Authentication of clients at the proxy: the credentials InfluxDB 1.x clients send (`u`/`p` query
// parameters, Basic auth, `Authorization: Token user:password`) checked against users whose passwords
// are stored as scrypt hashes. A successful check is remembered for a minute, so scrypt's deliberate
// cost is paid once per client, not once per write.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { ProxyError } from './errors.js';

const SCRYPT = { N: 16384, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const REMEMBER_MS = 60_000;
const REMEMBER_MAX = 10_000;

function scrypt(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, length, { ...options, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$salt$hash`, base64 salt and hash. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LENGTH, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = hash.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** The client's credentials, as influxd 1.x reads them: `u` and `p` (both non-empty) first, then the header. */
export function readCredentials(query: Record<string, unknown>, authorization: string | undefined): Credentials | null {
  if (typeof query.u === 'string' && query.u !== '' && typeof query.p === 'string' && query.p !== '') {
    return { username: query.u, password: query.p };
  }
  if (!authorization) return null;
  const space = authorization.indexOf(' ');
  if (space === -1) return null;
  const scheme = authorization.slice(0, space).toLowerCase();
  const value = authorization.slice(space + 1).trim();
  let pair: string;
  if (scheme === 'basic') pair = Buffer.from(value, 'base64').toString('utf8');
  else if (scheme === 'token') pair = value;
  else return null;
  const colon = pair.indexOf(':');
  if (colon === -1) return null;
  return { username: pair.slice(0, colon), password: pair.slice(colon + 1) };
}

export class Authenticator {
  readonly enabled: boolean;
  readonly #users: Map<string, string>;
  readonly #remembered = new Map<string, number>();

  constructor(config: Config['auth']) {
    this.enabled = config.enabled;
    this.#users = new Map(config.users.map((user) => [user.name, user.passwordHash]));
  }

  /** null when the request may proceed, else the error to answer with. */
  async check(query: Record<string, unknown>, authorization: string | undefined): Promise<ProxyError | null> {
    if (!this.enabled) return null;
    const credentials = readCredentials(query, authorization);
    if (credentials === null) return new ProxyError('IRX_ERR_AUTH_MISSING');
    const key = `${credentials.username}\u0000${credentials.password}`;
    const until = this.#remembered.get(key);
    if (until !== undefined && until > Date.now()) return null;
    const hash = this.#users.get(credentials.username);
    if (hash === undefined || !(await verifyPassword(credentials.password, hash))) return new ProxyError('IRX_ERR_AUTH_FAILED');
    if (this.#remembered.size >= REMEMBER_MAX) this.#remembered.clear();
    this.#remembered.set(key, Date.now() + REMEMBER_MS);
    return null;
  }
}
