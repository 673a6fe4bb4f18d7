// HTTP to the proxy for every command: one connection pool per run, the proxy user's Basic auth or
// the admin token added per request, every response body read in full, and network failures turned
// into one readable line (`connect ECONNREFUSED 127.0.0.1:7076`) for messages.
import { Pool } from 'undici';
import { basicAuthorization, type Connection } from './connection.js';
import { CliError } from './errors.js';

export interface ProxyResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

export interface ProxyRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  /** Path and query below the proxy URL, e.g. `/write?db=demo`. */
  readonly path: string;
  readonly body?: Buffer | string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Which credentials go with it: the proxy user (data endpoints), the admin token, or none. */
  readonly auth: 'user' | 'admin' | 'none';
  /** Longest wait for the answer's headers, and between body chunks. */
  readonly timeoutMs?: number;
}

export interface ProxyClientOptions {
  /** Connections kept to the proxy (at most this many requests at once). @defaultValue 4 */
  connections?: number;
  /** Default request timeout. @defaultValue 60000 */
  timeoutMs?: number;
}

/** One line saying why a request got no answer. */
export function describeNetworkError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    // `localhost` tried on ::1 and 127.0.0.1: say what each attempt got.
    return [...new Set(err.errors.map((e) => describeNetworkError(e)))].join('; ');
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect timeout';
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'no answer in time';
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer in time';
    if (err.message !== '') return err.message;
    if (code !== undefined) return code;
  }
  return String(err);
}

export class ProxyClient {
  readonly connection: Connection;
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor(connection: Connection, options: ProxyClientOptions = {}) {
    const url = new URL(connection.url);
    this.connection = connection;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.pool = new Pool(url.origin, { connections: options.connections ?? 4, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
    this.prefix = url.pathname.replace(/\/+$/, '');
  }

  /** Sends a request; rejects only when no answer came (network error, timeout). */
  async request(request: ProxyRequest): Promise<ProxyResponse> {
    const headers: Record<string, string> = { ...request.headers };
    const authorization =
      request.auth === 'user' ? basicAuthorization(this.connection) : request.auth === 'admin' && this.connection.adminToken !== null ? `Bearer ${this.connection.adminToken}` : null;
    if (authorization !== null) headers.authorization = authorization;
    const timeout = request.timeoutMs ?? this.timeoutMs;
    const answer = await this.pool.request({
      method: request.method,
      path: `${this.prefix}${request.path}`,
      body: request.body,
      headers,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    return { status: answer.statusCode, headers: answer.headers, text: await answer.body.text() };
  }

  /** The error for a request that got no answer: it names the URL and where the URL came from. */
  unreachable(err: unknown): CliError {
    const { url, source } = this.connection;
    return new CliError(
      'IRX_ERR_CLI_PROXY_UNREACHABLE',
      `cannot reach the proxy at ${url} (from ${source}): ${describeNetworkError(err)}; is it running? Start the local cluster with npm start, or point at a proxy with --proxy or INFLUXRING_PROXY_URL`,
      { cause: err },
    );
  }

  /**
   * GET /ping: throws IRX_ERR_CLI_PROXY_UNREACHABLE when the proxy does not answer. Any HTTP answer
   * counts as reachable; the command's own requests say more.
   */
  async ping(timeoutMs = 5_000): Promise<ProxyResponse> {
    try {
      return await this.request({ method: 'GET', path: '/ping', auth: 'none', timeoutMs });
    } catch (err) {
      throw this.unreachable(err);
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
