// The admin API's OpenAPI 3.1 document, written from the route table and its zod schemas, and a small
// HTML page that lists it for people.
import { z } from 'zod';
import { INFLUXRING_VERSION } from '../version.js';
import type { AdminRoute } from './admin-route.js';

const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, code: { type: 'string' } },
  required: ['error', 'code'],
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (schema === undefined) return [];
  const described = jsonSchema(schema) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(described.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (described.required ?? []).includes(name),
    description: property.description,
    schema: property,
  }));
}

const openApiPath = (url: string): string => url.replace(/:([A-Za-z]+)/g, '{$1}');

export function openApiDocument(routes: readonly AdminRoute[]): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    const responses: Record<string, unknown> = {
      [String(route.status)]: { description: route.answers, content: { 'application/json': { schema: {} } } },
      '401': { description: 'No token, or a wrong one.', content: { 'application/json': { schema: errorSchema } } },
    };
    if (route.body !== undefined || route.query !== undefined || route.params !== undefined) {
      responses['400'] = { description: 'The request does not match the schema; the error says where.', content: { 'application/json': { schema: errorSchema } } };
    }
    if (route.url.includes(':')) responses['404'] = { description: 'Not found.', content: { 'application/json': { schema: errorSchema } } };
    if (route.method !== 'GET') responses['409'] = { description: 'Conflicts with the topology or a running job.', content: { 'application/json': { schema: errorSchema } } };
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[route.method.toLowerCase()] = {
      summary: route.summary,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } }),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'InfluxRing admin API',
      version: INFLUXRING_VERSION,
      description: 'Circles, nodes and operations of an InfluxRing cluster. Every request but this document and /admin/docs needs "Authorization: Bearer <admin.token>".',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}

const escapeHtml = (text: string): string => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function docsPage(routes: readonly AdminRoute[]): string {
  const rows = routes
    .map((route) => {
      const body = route.body === undefined ? '' : `<pre>${escapeHtml(JSON.stringify(jsonSchema(route.body), null, 2))}</pre>`;
      return `<tr><td><code>${route.method}</code></td><td><code>${escapeHtml(route.url)}</code></td><td>${escapeHtml(route.summary)}${body}</td><td>${route.status}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>InfluxRing admin API</title>
<style>body{font-family:sans-serif;margin:2em;max-width:70em}td{vertical-align:top;padding:.3em .6em;border-bottom:1px solid #ddd}pre{font-size:.8em;background:#f6f6f6;padding:.5em}</style>
</head><body>
<h1>InfluxRing admin API ${escapeHtml(INFLUXRING_VERSION)}</h1>
<p>Send <code>Authorization: Bearer &lt;admin.token&gt;</code>. Errors are JSON <code>{"error": "...", "code": "IRX_ERR_ADMIN_..."}</code>.
The machine-readable description is <a href="/admin/openapi.json">/admin/openapi.json</a>.</p>
<table><tr><th>Method</th><th>Path</th><th>What it does</th><th>Success</th></tr>
${rows}
</table></body></html>
`;
}
