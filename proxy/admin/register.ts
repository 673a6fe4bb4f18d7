// Puts the admin API on the proxy's server: bearer-token check, input validated against each route's
// schemas (400 naming the bad field), errors as JSON `{error, code}`, the OpenAPI document and the docs
// page. With no admin.token configured, every admin route answers 403 saying how to turn it on.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ProxyError, type ErrorCode } from '../errors.js';
import { TopologyChangeError } from '../topology-description.js';
import type { AdminContext } from './admin-context.js';
import { docsPage, openApiDocument } from './openapi.js';
import { ruleRoutes } from './rule-routes.js';
import { adminRoutes as operationRoutes } from './routes.js';
import { describeIssues } from './schemas.js';

function sendError(reply: FastifyReply, err: ProxyError): FastifyReply {
  return reply.code(err.status).type('application/json').send({ error: err.message, code: err.code });
}

function tokenMatches(expected: string, header: string | undefined): ErrorCode | null {
  if (header === undefined || !/^Bearer\s+/i.test(header)) return 'IRX_ERR_ADMIN_UNAUTHORIZED';
  const given = Buffer.from(header.replace(/^Bearer\s+/i, '').trim());
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted) ? null : 'IRX_ERR_ADMIN_TOKEN_WRONG';
}

/** Turns what a handler threw into the admin API's error. */
function adminError(err: unknown): ProxyError {
  if (err instanceof ProxyError) return err;
  if (err instanceof z.ZodError) return new ProxyError('IRX_ERR_ADMIN_INVALID', [describeIssues(err)]);
  if (err instanceof TopologyChangeError) {
    const code: ErrorCode = err.status === 404 ? 'IRX_ERR_ADMIN_NOT_FOUND' : err.status === 409 ? 'IRX_ERR_ADMIN_CONFLICT' : 'IRX_ERR_ADMIN_INVALID';
    return new ProxyError(code, [err.message]);
  }
  const status = (err as { statusCode?: number }).statusCode;
  if (status === 400 || status === 415) return new ProxyError('IRX_ERR_ADMIN_INVALID', [(err as Error).message]);
  if (status === 413) return new ProxyError('IRX_ERR_ADMIN_INVALID', ['body too large']);
  return new ProxyError('IRX_ERR_ADMIN_UNAVAILABLE', [(err as Error).message]);
}

/** The value as the schema reads it (defaults filled, units converted); 400 naming what is wrong. */
function validate<T>(schema: z.ZodType | undefined, value: T, where: string): T {
  if (schema === undefined) return value;
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new ProxyError('IRX_ERR_ADMIN_INVALID', [`${where}: ${describeIssues(result.error)}`]);
  return result.data as T;
}

/** Every route of the admin API. */
export const adminRoutes = [...operationRoutes, ...ruleRoutes];

export async function registerAdmin(app: FastifyInstance, token: string, context: () => AdminContext): Promise<void> {
  await app.register(async (admin) => {
    admin.setErrorHandler((err, _request, reply) => sendError(reply, adminError(err)));
    // JSON bodies; an empty one (curl -H 'Content-Type: application/json' -X DELETE …) is no body.
    admin.removeContentTypeParser('application/json');
    admin.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 1024 * 1024 }, (_request, text, done) => {
      if ((text as string).trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text as string) as unknown);
      } catch (err) {
        done(Object.assign(new Error(`body is not JSON: ${(err as Error).message}`), { statusCode: 400 }), undefined);
      }
    });
    admin.get('/openapi.json', async () => openApiDocument(adminRoutes));
    admin.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(docsPage(adminRoutes)));
    admin.addHook('onRequest', async (request: FastifyRequest, reply) => {
      const path = request.url.split('?')[0] ?? '';
      if (path === '/admin/openapi.json' || path === '/admin/docs') return;
      if (token === '') return sendError(reply, new ProxyError('IRX_ERR_ADMIN_OFF'));
      const refused = tokenMatches(token, request.headers.authorization);
      if (refused !== null) return sendError(reply, new ProxyError(refused));
    });
    for (const route of adminRoutes) {
      admin.route({
        method: route.method,
        url: route.url.slice('/admin'.length),
        handler: async (request, reply) => {
          // Handlers get their input validated once, here, as their schemas read it.
          const input = {
            params: validate(route.params, (request.params ?? {}) as Record<string, string>, 'path'),
            query: validate(route.query, (request.query ?? {}) as Record<string, unknown>, 'query'),
            body: request.body as unknown,
          };
          if (route.body !== undefined) {
            if (input.body === undefined || input.body === null) throw new ProxyError('IRX_ERR_ADMIN_INVALID', ['body: expected a JSON object (Content-Type: application/json)']);
            input.body = validate(route.body, input.body, 'body');
          }
          reply.code(route.status);
          const answer = await route.handle(context(), input, reply);
          return reply.send(answer);
        },
      });
    }
    admin.setNotFoundHandler((request, reply) => sendError(reply, new ProxyError('IRX_ERR_ADMIN_NOT_FOUND', [`no admin route ${request.method} ${request.url.split('?')[0] ?? ''}`])));
  }, { prefix: '/admin' });
}
