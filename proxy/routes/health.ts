// GET /health: per circle and node — active, healthy, buffering/replaying, buffered points and bytes,
// last error. `status` is `pass` when every node takes writes directly, `warn` when some writes are
// being buffered, `fail` (503) when some writes can be stored nowhere (a node down and Redis away).
import type { FastifyInstance } from 'fastify';
import { nodeState } from '../admin/views.js';
import { INFLUXRING_VERSION } from '../version.js';
import type { RouteContext } from './context.js';

export function healthRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/health', async (_request, reply) => {
    const redis = ctx.redisReady();
    const allLive = ctx.cluster.topology.nodes.every((node) => node.live);
    const status = allLive ? 'pass' : redis ? 'warn' : 'fail';
    const circles = ctx.cluster.topology.circles.map((circle) => ({
      name: circle.name,
      active: circle.nodes.every((node) => node.active),
      nodes: circle.nodes.map((node) => {
        const { buffered, ...state } = nodeState(node);
        return {
          name: node.name,
          url: node.url,
          ...state,
          inFlightBatches: node.inFlight,
          buffered: { ...buffered, oldest: node.buffered.oldestAt === null ? null : new Date(node.buffered.oldestAt).toISOString() },
          lastErrorAt: node.lastErrorAt === null ? null : new Date(node.lastErrorAt).toISOString(),
        };
      }),
    }));
    await reply.code(status === 'fail' ? 503 : 200).send({
      name: 'influxring',
      status,
      version: INFLUXRING_VERSION,
      influxdbVersion: ctx.cluster.influxdbVersion,
      redis: redis ? 'ready' : 'unavailable',
      circles,
    });
  });
}
