// GET|HEAD /ping: 204 with the InfluxDB version headers, as influxd answers (no auth needed);
// `?verbose=true` answers 200 with the version in JSON, as influxd does.
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context.js';

export function pingRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const handler = async (request: { query: unknown }, reply: import('fastify').FastifyReply): Promise<void> => {
    const verbose = (request.query as Record<string, string | undefined>).verbose;
    if (verbose === 'true' || verbose === '1') {
      await reply.code(200).send({ version: ctx.cluster.influxdbVersion });
      return;
    }
    await reply.code(204).send();
  };
  // Fastify answers HEAD with the GET handler.
  app.get('/ping', handler);
}
