// The proxy's error registry: every error a client or operator can see has a stable code
// (IRX_ERR_<AREA>_<WHAT>), an HTTP status and a message. Messages that InfluxDB itself gives keep
// InfluxDB's wording, so clients that match on them keep working. Callers match on `code`.

export interface ErrorDefinition {
  readonly status: number;
  /** Message template; `%s` is replaced by the arguments in order. */
  readonly message: string;
}

export const ERRORS = {
  IRX_ERR_AUTH_MISSING: { status: 401, message: 'unable to parse authentication credentials' },
  IRX_ERR_AUTH_FAILED: { status: 401, message: 'authorization failed' },
  IRX_ERR_WRITE_DATABASE_REQUIRED: { status: 400, message: 'database is required' },
  IRX_ERR_WRITE_BUCKET_REQUIRED: { status: 400, message: 'bucket is required' },
  IRX_ERR_WRITE_DATABASE_NOT_FOUND: { status: 404, message: 'database not found: "%s"' },
  IRX_ERR_WRITE_RETENTION_POLICY_NOT_FOUND: { status: 500, message: 'retention policy not found: %s' },
  IRX_ERR_WRITE_PRECISION_INVALID: { status: 400, message: 'invalid precision "%s": expected one of %s' },
  IRX_ERR_WRITE_BODY_TOO_LARGE: { status: 413, message: 'request body too large: more than %s bytes%s' },
  IRX_ERR_WRITE_BODY_UNREADABLE: { status: 400, message: 'unable to read request body: %s' },
  IRX_ERR_WRITE_TIMEOUT: { status: 408, message: 'request timeout: the body was not received within %s ms' },
  IRX_ERR_WRITE_UNAVAILABLE: {
    status: 503,
    message: 'write not stored: node %s cannot take it and its replay buffer cannot either (%s); retry later',
  },
  IRX_ERR_WRITE_SHUTTING_DOWN: { status: 503, message: 'the proxy is shutting down; retry on another proxy' },
  IRX_ERR_CONTENT_ENCODING: { status: 415, message: 'unsupported Content-Encoding "%s": send identity or gzip' },
  IRX_ERR_NOT_FOUND: { status: 404, message: 'not found: %s %s' },
  IRX_ERR_ADMIN_OFF: { status: 403, message: 'the admin API is off: set admin.token (INFLUXRING_ADMIN_TOKEN) to turn it on' },
  IRX_ERR_ADMIN_UNAUTHORIZED: { status: 401, message: 'admin API: send the admin token as "Authorization: Bearer <token>"' },
  IRX_ERR_ADMIN_TOKEN_WRONG: { status: 401, message: 'admin API: wrong token' },
  IRX_ERR_ADMIN_INVALID: { status: 400, message: 'invalid request: %s' },
  IRX_ERR_ADMIN_NOT_FOUND: { status: 404, message: '%s' },
  IRX_ERR_ADMIN_CONFLICT: { status: 409, message: '%s' },
  IRX_ERR_ADMIN_UNAVAILABLE: { status: 503, message: 'admin API: %s' },
} as const satisfies Record<string, ErrorDefinition>;

export type ErrorCode = keyof typeof ERRORS;

export class ProxyError extends Error {
  override readonly name = 'ProxyError';
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, args: readonly (string | number)[] = [], options?: { cause?: unknown }) {
    let index = 0;
    const message = ERRORS[code].message.replace(/%s/g, () => String(args[index++] ?? ''));
    super(message, options);
    this.code = code;
    this.status = ERRORS[code].status;
  }
}
