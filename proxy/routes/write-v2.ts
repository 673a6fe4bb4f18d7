// POST /api/v2/write: the InfluxDB 2.x write API, translated to v1 writes for the nodes (influxd 1.x
// before 1.8 has no v2 API). `bucket` is `db` or `db/rp`; `org` is accepted and ignored; precision is
// ns, us, ms or s; errors come in the v2 JSON form.
import type { FastifyInstance } from 'fastify';
import { ProxyError } from '../errors.js';
import { sendV2Error } from '../http-errors.js';
import { V2_PRECISION_NAMES, v2Precision } from '../precision.js';
import type { RouteContext } from './context.js';
import { handleWrite } from './write.js';

export function writeV2Route(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/api/v2/write', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const bucket = query.bucket ?? '';
    if (bucket === '') {
      const err = new ProxyError('IRX_ERR_WRITE_BUCKET_REQUIRED');
      ctx.metrics.requestsRejected.labels('parse').inc();
      return sendV2Error(reply, err.status, err.message);
    }
    const precision = v2Precision(query.precision);
    if (precision === null) {
      const err = new ProxyError('IRX_ERR_WRITE_PRECISION_INVALID', [query.precision ?? '', V2_PRECISION_NAMES]);
      ctx.metrics.requestsRejected.labels('parse').inc();
      return sendV2Error(reply, err.status, err.message);
    }
    const slash = bucket.indexOf('/');
    const db = slash === -1 ? bucket : bucket.slice(0, slash);
    const rp = slash === -1 ? '' : bucket.slice(slash + 1);
    return handleWrite(ctx, request, reply, { db, rp, precision }, '/api/v2/write', sendV2Error);
  });
}
