// POST /write (InfluxDB 1.x) and the write handling it shares with POST /api/v2/write: the known
// database check, the write path, and the answer in the client's dialect.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProxyError } from '../errors.js';
import { sendV1Error } from '../http-errors.js';
import type { RejectReason } from '../metrics.js';
import { nowMs, v1Precision } from '../precision.js';
import type { RouteContext } from './context.js';

export type SendError = (reply: FastifyReply, status: number, message: string, retryAfter?: number) => FastifyReply;

export interface WriteTarget {
  readonly db: string;
  readonly rp: string;
  readonly precision: string;
}

/** Lines in a body, for counting refused points without parsing them. */
function countLines(body: Buffer): number {
  let lines = 0;
  let at = 0;
  while (at < body.length) {
    const nl = body.indexOf(0x0a, at);
    if (nl === -1) return lines + 1;
    if (nl > at) lines++;
    at = nl + 1;
  }
  return lines;
}

export async function handleWrite(
  ctx: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  target: WriteTarget,
  endpoint: string,
  sendError: SendError,
): Promise<FastifyReply> {
  const receivedAt = nowMs();
  const body = request.body instanceof Buffer ? request.body : Buffer.alloc(0);
  const refuse = (reason: RejectReason, err: ProxyError): FastifyReply => {
    ctx.metrics.requestsRejected.labels(reason).inc();
    ctx.metrics.pointsRejected.labels(reason).inc(countLines(body));
    return sendError(reply, err.status, err.message);
  };
  // As influxd, an unknown database is refused before the body is looked at.
  if (!ctx.known.has(target.db, '') && (await ctx.known.check(target.db, '')) === 'database-not-found') {
    return refuse('database_not_found', new ProxyError('IRX_ERR_WRITE_DATABASE_NOT_FOUND', [target.db]));
  }
  const response = await ctx.router.write({ ...target, body, receivedAt }, endpoint);
  if (response.status === 204) return reply.code(204).send();
  if ('error' in response) {
    ctx.metrics.requestsRejected.labels(response.reason).inc();
    return sendError(reply, response.status, response.error, response.retryAfter);
  }
  return reply.code(response.status).send();
}

export function writeRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/write', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const db = query.db ?? '';
    if (db === '') {
      const err = new ProxyError('IRX_ERR_WRITE_DATABASE_REQUIRED');
      ctx.metrics.requestsRejected.labels('parse').inc();
      return sendV1Error(reply, err.status, err.message);
    }
    return handleWrite(ctx, request, reply, { db, rp: query.rp ?? '', precision: v1Precision(query.precision) }, '/write', sendV1Error);
  });
}
