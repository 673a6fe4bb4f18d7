// The bodies, parameters and query strings the admin API accepts. The same schemas validate requests
// and describe them in the OpenAPI document.
import { z } from 'zod';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const nameSchema = z.string().regex(NAME, 'expected 1-63 letters, digits, "_", "." or "-", starting with a letter or digit');

export const newNodeSchema = z
  .object({
    name: nameSchema.describe('Unique node name (it names the node in logs, metrics and Redis keys).'),
    url: z.url({ protocol: /^https?$/ }).describe('Base URL of the InfluxDB 1.x server, e.g. http://10.0.0.7:8086.'),
    username: z.string().optional().describe('InfluxDB user the proxy authenticates as (empty: none).'),
    password: z.string().optional().describe('Its password (never shown back).'),
  })
  .strict();

export const addCircleSchema = z
  .object({
    name: nameSchema.describe('Name of the new circle.'),
    nodes: z.array(newNodeSchema).min(1).describe('Its nodes, in ring order.'),
    filled: z.boolean().optional().describe('The nodes already hold a full copy of the data (default false: they start write-only until a recovery fills them).'),
  })
  .strict();

export const nodeChangeSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }).optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    writeOnly: z.boolean().optional().describe('Takes writes, serves no reads.'),
    maintenance: z.boolean().optional().describe('Out for maintenance: no reads, writes wait in its replay buffer, no health checks.'),
  })
  .strict()
  .refine((change) => Object.keys(change).length > 0, { message: 'name at least one of url, username, password, writeOnly, maintenance' });

export const replicaQuerySchema = z
  .object({
    db: z.string().min(1).describe('Database.'),
    measurement: z.string().min(1).describe('Measurement (unescaped).'),
  })
  .strict();

export const nameParamsSchema = z.object({ name: nameSchema }).strict();
export const idParamsSchema = z.object({ id: z.string().regex(/^[0-9]+$/, 'expected a job id (digits)') }).strict();
export const jobListQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }).strict();

/** A zod error as one line: `path: message; path: message`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`).join('; ');
}
