// One admin API route as data: method, path, the schemas of its input, and its handler. The same table
// registers the routes on the server and writes the OpenAPI document, so they cannot disagree.
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import type { AdminContext } from './admin-context.js';

export type AdminMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A request's input, already validated by the route's schemas (handlers cast it to their types). */
export interface AdminInput {
  readonly params: Record<string, string>;
  readonly query: Record<string, unknown>;
  readonly body: unknown;
}

export interface AdminRoute {
  readonly method: AdminMethod;
  /** Path in Fastify's form (`/admin/nodes/:name`). */
  readonly url: string;
  readonly summary: string;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Status of a success. */
  readonly status: 200 | 201 | 202;
  /** What a success answers, in words (for the OpenAPI document). */
  readonly answers: string;
  /** Answers with `status`, unless it sets another on `reply`. */
  readonly handle: (ctx: AdminContext, input: AdminInput, reply: FastifyReply) => Promise<unknown>;
}
