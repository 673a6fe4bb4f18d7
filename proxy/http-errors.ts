// Error responses in the forms clients expect: InfluxDB 1.x (`{"error": …}` plus the
// X-Influxdb-Error header) on v1 endpoints, InfluxDB 2.x (`{"code": …, "message": …}`) on /api/v2.
import type { FastifyReply } from 'fastify';

/** A header value that Node accepts: one line, printable Latin-1. */
/** A message as an HTTP header value: one line of printable ASCII, at most 4 KiB. */
export function headerSafe(message: string): string {
  return message.replace(/[\r\n]+/g, ' ').replace(/[^\x20-\x7e]/g, '?').slice(0, 4096);
}

export function sendV1Error(reply: FastifyReply, status: number, message: string, retryAfter?: number): FastifyReply {
  reply.code(status).header('content-type', 'application/json').header('x-influxdb-error', headerSafe(message));
  if (status === 401) reply.header('www-authenticate', 'Basic realm="InfluxDB"');
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  // A Buffer is sent as is (a string would get "; charset=utf-8" added to the Content-Type).
  return reply.send(Buffer.from(`${JSON.stringify({ error: message })}\n`));
}

const V2_CODES: Record<number, string> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  408: 'request timeout',
  413: 'request too large',
  415: 'unsupported media type',
  500: 'internal error',
  503: 'unavailable',
};

export function sendV2Error(reply: FastifyReply, status: number, message: string, retryAfter?: number): FastifyReply {
  reply.code(status).header('content-type', 'application/json; charset=utf-8').header('x-influxdb-error', headerSafe(message));
  if (status === 401) reply.header('www-authenticate', 'Token');
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  return reply.send(JSON.stringify({ code: V2_CODES[status] ?? 'internal error', message }));
}
