// The CLI's error registry: every error the `influxring` tool stops with has a stable code
// (IRX_ERR_CLI_<WHAT>) and an exit code — 2 when the command line (or what it points at) has to be
// changed, 1 when the work failed, 130 when the user pressed Ctrl-C. main.ts prints the message as one
// line on stderr and exits with the code's exit status; callers and tests match on `code`. Every code
// is listed in docs/cli.md (a test fails when one is not).

/** 1: the work failed; 2: the command line (or the setup it points at) must change; 130: interrupted. */
export type ExitCode = 1 | 2 | 130;

export interface CliErrorDefinition {
  readonly exitCode: ExitCode;
  /** What the code means, for the README table. */
  readonly meaning: string;
}

export const CLI_ERRORS = {
  IRX_ERR_CLI_USAGE: { exitCode: 2, meaning: 'Bad command line: unknown command or option, missing or invalid value.' },
  IRX_ERR_CLI_NO_PROXY: { exitCode: 2, meaning: 'No proxy to talk to: no `--proxy`, no `INFLUXRING_PROXY_URL` and no local cluster file.' },
  IRX_ERR_CLI_LOCAL_CLUSTER: { exitCode: 2, meaning: 'The local cluster file (`cluster.json`) is unreadable or has no proxy URL.' },
  IRX_ERR_CLI_COLUMNS: { exitCode: 2, meaning: "The options do not fit the CSV header (a named column is missing, a column can't be a key)." },
  IRX_ERR_CLI_PROXY_UNREACHABLE: { exitCode: 1, meaning: 'The proxy does not answer at its URL (connection refused, timeout, DNS); the message says where the URL came from.' },
  IRX_ERR_CLI_ADMIN_TOKEN: { exitCode: 1, meaning: 'The admin API refused the token: none was given, or it is not the proxy\'s `admin.token`.' },
  IRX_ERR_CLI_ADMIN_OFF: { exitCode: 1, meaning: 'The proxy\'s admin API is off (it has no `admin.token`).' },
  IRX_ERR_CLI_ADMIN_REFUSED: { exitCode: 1, meaning: 'The admin API refused the request (no such circle, node or job; invalid; a job already holds the circle): its message is shown.' },
  IRX_ERR_CLI_PROXY_ANSWER: { exitCode: 1, meaning: 'The proxy answered something unexpected (a 5xx, or not the JSON of the admin API).' },
  IRX_ERR_CLI_JOB_FAILED: { exitCode: 1, meaning: 'A followed job failed (or disappeared): its reason and last log lines are shown.' },
  IRX_ERR_CLI_INTERRUPTED: { exitCode: 130, meaning: 'Ctrl-C while following a job: following stops, the job goes on (cancel it with `influxring jobs cancel ID`).' },
  IRX_ERR_CLI_FILE: { exitCode: 1, meaning: 'The input file cannot be read, is empty, or is not UTF-8.' },
  IRX_ERR_CLI_CSV: { exitCode: 1, meaning: 'The CSV cannot be parsed on from a point (a row longer than the limit, e.g. after an unclosed quote).' },
  IRX_ERR_CLI_ROW_INVALID: { exitCode: 1, meaning: 'A row cannot become a point (without `--skip-invalid`); nothing from that row on was sent.' },
  IRX_ERR_CLI_WRITE_REJECTED: { exitCode: 1, meaning: "The proxy refused a batch (4xx, or a 5xx other than 502/503/504): InfluxDB's error text and the batch's CSV lines are shown." },
  IRX_ERR_CLI_WRITE_FAILED: { exitCode: 1, meaning: 'A batch still failed (503, connection error) after every retry.' },
} as const satisfies Record<string, CliErrorDefinition>;

export type CliErrorCode = keyof typeof CLI_ERRORS;

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: CliErrorCode;
  readonly exitCode: ExitCode;
  /** The admin API's own code when it refused (IRX_ERR_ADMIN_NOT_FOUND, …), else null. */
  readonly apiCode: string | null;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown; apiCode?: string }) {
    super(message, options);
    this.code = code;
    this.apiCode = options?.apiCode ?? null;
    this.exitCode = CLI_ERRORS[code].exitCode;
  }
}

export function usageError(message: string): CliError {
  return new CliError('IRX_ERR_CLI_USAGE', message);
}
