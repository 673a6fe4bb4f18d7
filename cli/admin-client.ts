// The proxy's admin API (/admin/…, bearer token) from the CLI: JSON in, JSON out, and every way a
// request can go wrong turned into one CliError a person can act on — the proxy not answering (with
// where its URL came from), no token or the wrong one (with where the token came from), the admin API
// off, and the API's own refusals (`{error, code}`: no such node, a job already holds the circle…).
import { resolveConnection } from './connection.js';
import { CliError } from './errors.js';
import type { ParsedFlags } from './flags.js';
import { ProxyClient, type ProxyResponse } from './proxy-client.js';

type AdminMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** The admin API's error body. */
interface AdminErrorBody {
  readonly error?: unknown;
  readonly code?: unknown;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export class AdminClient {
  readonly proxy: ProxyClient;

  constructor(proxy: ProxyClient) {
    this.proxy = proxy;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  /** Sends one request; the parsed JSON of a 2xx answer, else the CliError that says what went wrong. */
  async call<T>(method: AdminMethod, path: string, body?: unknown): Promise<T> {
    let response: ProxyResponse;
    try {
      response = await this.proxy.request({
        method,
        path,
        auth: 'admin',
        timeoutMs: 30_000,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
    } catch (err) {
      throw this.proxy.unreachable(err);
    }
    const parsed = parseJson(response.text);
    if (response.status >= 200 && response.status < 300) {
      if (parsed === undefined) throw this.unexpected(method, path, response);
      return parsed as T;
    }
    throw this.refusal(method, path, response, parsed as AdminErrorBody | undefined);
  }

  async close(): Promise<void> {
    await this.proxy.close();
  }

  private refusal(method: AdminMethod, path: string, response: ProxyResponse, body: AdminErrorBody | undefined): CliError {
    const { url } = this.proxy.connection;
    const code = typeof body?.code === 'string' ? body.code : null;
    const error = typeof body?.error === 'string' ? body.error : null;
    const { adminToken, tokenSource } = this.proxy.connection;
    if (code === 'IRX_ERR_ADMIN_UNAUTHORIZED' || (response.status === 401 && adminToken === null)) {
      return new CliError(
        'IRX_ERR_CLI_ADMIN_TOKEN',
        `the admin API at ${url} needs a token and none was given: pass --token TOKEN or set INFLUXRING_ADMIN_TOKEN (the proxy's admin.token)`,
      );
    }
    if (code === 'IRX_ERR_ADMIN_TOKEN_WRONG' || response.status === 401) {
      return new CliError('IRX_ERR_CLI_ADMIN_TOKEN', `the admin API at ${url} refused the token (from ${tokenSource ?? 'nowhere'}): it is not the proxy's admin.token`);
    }
    if (code === 'IRX_ERR_ADMIN_OFF') {
      return new CliError('IRX_ERR_CLI_ADMIN_OFF', `the admin API of the proxy at ${url} is off: start the proxy with admin.token set (INFLUXRING_ADMIN_TOKEN)`);
    }
    if (code !== null && error !== null && response.status < 500) {
      return new CliError('IRX_ERR_CLI_ADMIN_REFUSED', error, { apiCode: code });
    }
    if (response.status === 404 && code === null) {
      // Not the admin API's own 404: the URL points at something that is not an InfluxRing proxy.
      return new CliError('IRX_ERR_CLI_PROXY_ANSWER', `${url} has no admin API (${method} ${path} answered 404): is it an InfluxRing proxy?`);
    }
    return this.unexpected(method, path, response, error);
  }

  private unexpected(method: AdminMethod, path: string, response: ProxyResponse, error: string | null = null): CliError {
    const text = error ?? response.text.trim().slice(0, 300);
    return new CliError('IRX_ERR_CLI_PROXY_ANSWER', `${method} ${path} on ${this.proxy.connection.url} answered ${response.status}${text === '' ? '' : `: ${text}`}`);
  }
}

/** Runs `work` with an admin client for the command's flags, closing it afterwards. */
export async function withAdmin<T>(flags: ParsedFlags, env: NodeJS.ProcessEnv, work: (admin: AdminClient) => Promise<T>): Promise<T> {
  const client = new AdminClient(new ProxyClient(resolveConnection(flags, env, { proxyUser: false }), { connections: 2, timeoutMs: 30_000 }));
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
