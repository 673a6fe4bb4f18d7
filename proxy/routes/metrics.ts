// GET /metrics: Prometheus text of every proxy process.
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context.js';

export function metricsRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/metrics', async (_request, reply) => {
    const text = await ctx.metricsText();
    await reply.code(200).header('content-type', ctx.metrics.registry.contentType).send(text);
  });
}
