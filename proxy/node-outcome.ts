// What a node's answer to a write means for the data: one classification table, tested row by row.
// InfluxDB signals some client errors with 500 (an unknown retention policy), so the body decides,
// not only the status.

export type NodeOutcome =
  /** The node stored every point (204). */
  | { readonly kind: 'accepted' }
  /**
   * The node refused the data for a reason that is the client's (bad lines, type conflicts, unknown
   * database or retention policy). `scope: 'batch'` means every request of the batch gets the same
   * answer (it depends only on db/rp); `scope: 'request'` means the batch must be split to know
   * which request caused it.
   */
  | { readonly kind: 'rejected'; readonly status: number; readonly error: string; readonly scope: 'batch' | 'request' }
  /** The batch is larger than the node takes: split it. */
  | { readonly kind: 'too-large' }
  /** The node cannot take data now (down, overloaded, misconfigured): keep it for replay. */
  | { readonly kind: 'unavailable'; readonly reason: string };

export const ACCEPTED: NodeOutcome = { kind: 'accepted' };

/** influxd's error text from a JSON error body, or the body itself. */
export function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: fall through
  }
  return body.trim().slice(0, 1000);
}

export function classifyWriteResponse(status: number, body: string): NodeOutcome {
  if (status >= 200 && status < 300) return ACCEPTED;
  const error = errorText(body);
  if (status === 400) return { kind: 'rejected', status, error, scope: 'request' };
  if (status === 404 && error.startsWith('database not found')) return { kind: 'rejected', status, error, scope: 'batch' };
  if (status === 500 && error.startsWith('retention policy not found')) return { kind: 'rejected', status, error, scope: 'batch' };
  if (status === 413) return { kind: 'too-large' };
  if (status === 401 || status === 403) return { kind: 'unavailable', reason: `node refused the proxy's credentials (${status}): ${error}` };
  return { kind: 'unavailable', reason: `node answered ${status}: ${error}` };
}

export function classifyWriteFailure(err: unknown): NodeOutcome {
  const e = err as { name?: string; code?: string; message?: string };
  // The node answered, but with headers HTTP does not allow: influxd copies its error text, control
  // characters of measurement or field names included, into X-Influxdb-Error. Only error answers carry
  // that header, so this is a refusal of the data — retrying it would fail for ever. (Any other
  // unparsable answer, e.g. a node URL that is not InfluxDB, keeps the data for replay.)
  if (e.name === 'HTTPParserError' && /invalid header value char/i.test(e.message ?? '')) {
    return { kind: 'rejected', status: 400, error: `the node refused the write with an error the proxy cannot read (${e.message ?? ''})`, scope: 'request' };
  }
  return { kind: 'unavailable', reason: e.code ? `${e.code}: ${e.message ?? ''}` : (e.message ?? String(err)) };
}
