// The admin API's detection rules: list, show, create or replace (PUT, validated by the same schema as
// the configuration file's `rules`), delete. Workers follow a change without a restart.
import { z } from 'zod';
import { ruleSchema } from '../../config/rule-schema.js';
import { ProxyError } from '../errors.js';
import type { AdminRoute } from './admin-route.js';
import { nameParamsSchema } from './schemas.js';

const anomalyQuerySchema = z
  .object({
    rule: z.string().optional().describe('Only this rule.'),
    since: z.string().optional().describe('Only anomalies at or after this time (RFC 3339, or milliseconds since the epoch).'),
    limit: z.coerce.number().int().min(1).max(10_000).optional().describe('At most this many, newest first (default 100).'),
  })
  .strict();

function sinceMs(since: string | undefined): number {
  if (since === undefined) return 0;
  const ms = /^\d+$/.test(since) ? Number(since) : Date.parse(since);
  if (Number.isNaN(ms)) throw new ProxyError('IRX_ERR_ADMIN_INVALID', [`query: since: expected an RFC 3339 time or milliseconds, got "${since}"`]);
  return ms;
}

/** A rule as PUT sends it: its name is in the path (a `name` in the body must be the same). */
const ruleBodySchema = ruleSchema.omit({ name: true }).extend({ name: z.string().optional() });

export const ruleRoutes: readonly AdminRoute[] = [
  {
    method: 'GET',
    url: '/admin/anomalies',
    summary: 'Anomalies the workers found (the newest 10,000 are kept here; all of them are points of measurement `anomaly` in the anomaly database).',
    query: anomalyQuerySchema,
    status: 200,
    answers: '{ anomalies: [{ rule, series, algorithm, time, value, threshold, score }] }',
    handle: async (ctx, { query }) => {
      const { rule, since, limit } = query as z.infer<typeof anomalyQuerySchema>;
      const members = await ctx.redis.zrevrangebyscore(ctx.keys.anomalies(), '+inf', sinceMs(since));
      const anomalies = members.map((member) => JSON.parse(member) as { rule: string; time: number }).filter((anomaly) => rule === undefined || anomaly.rule === rule);
      return { anomalies: anomalies.slice(0, limit ?? 100).map((anomaly) => ({ ...anomaly, timeIso: new Date(anomaly.time).toISOString() })) };
    },
  },
  {
    method: 'GET',
    url: '/admin/rules',
    summary: 'Every detection rule.',
    status: 200,
    answers: '{ rules: [...] }',
    handle: async (ctx) => ({ rules: await ctx.rules.list() }),
  },
  {
    method: 'GET',
    url: '/admin/rules/:name',
    summary: 'One detection rule.',
    params: nameParamsSchema,
    status: 200,
    answers: 'The rule.',
    handle: async (ctx, { params }) => {
      const rule = await ctx.rules.get(params.name as string);
      if (rule === null) throw new ProxyError('IRX_ERR_ADMIN_NOT_FOUND', [`no rule named ${params.name as string}`]);
      return rule;
    },
  },
  {
    method: 'PUT',
    url: '/admin/rules/:name',
    summary: 'Creates or replaces a detection rule (201 when new); running workers take it up without a restart.',
    params: nameParamsSchema,
    body: ruleBodySchema,
    status: 200,
    answers: 'The rule as stored, defaults filled in.',
    handle: async (ctx, { params, body }, reply) => {
      const name = params.name as string;
      const given = body as z.infer<typeof ruleBodySchema>;
      if (given.name !== undefined && given.name !== name) throw new ProxyError('IRX_ERR_ADMIN_INVALID', [`body: name: "${given.name}" differs from the name in the path, "${name}"`]);
      const rule = ruleSchema.parse({ ...given, name });
      if (await ctx.rules.put(rule)) reply.status(201);
      ctx.log.info({ rule: name }, 'admin: rule stored');
      return rule;
    },
  },
  {
    method: 'DELETE',
    url: '/admin/rules/:name',
    summary: 'Deletes a detection rule; running workers stop checking it.',
    params: nameParamsSchema,
    status: 200,
    answers: '{ deleted: name }',
    handle: async (ctx, { params }) => {
      const name = params.name as string;
      if (!(await ctx.rules.delete(name))) throw new ProxyError('IRX_ERR_ADMIN_NOT_FOUND', [`no rule named ${name}`]);
      ctx.log.info({ rule: name }, 'admin: rule deleted');
      return { deleted: name };
    },
  },
];
