// The admin API's routes: circles and nodes, replicas, health with misplaced measurements, and the
// operations (jobs) the workers run. Ring changes go through the topology store, refused while a job
// holds the circle's lock; every proxy follows the new version within a second.
import type { z } from 'zod';
import { ProxyError } from '../errors.js';
import { findMisplaced } from '../misplaced.js';
import { proxiesBehind } from '../proxy-registry.js';
import { shardKey } from '../shard-key.js';
import {
  addCircle,
  addNode,
  circleOf,
  circleOfNode,
  removeNode,
  updateNode,
  type NodeDescription,
  type TopologyDescription,
} from '../topology-description.js';
import type { AdminContext } from './admin-context.js';
import type { AdminRoute } from './admin-route.js';
import { jobRequestSchema, type JobRequest } from './job-queue.js';
import {
  addCircleSchema,
  idParamsSchema,
  jobListQuerySchema,
  nameParamsSchema,
  newNodeSchema,
  nodeChangeSchema,
  replicaQuerySchema,
} from './schemas.js';
import { circleView, nodeView } from './views.js';

/** The stored topology without passwords. */
function publicTopology(description: TopologyDescription): unknown {
  return {
    ...description,
    circles: description.circles.map((circle) => ({
      ...circle,
      nodes: circle.nodes.map(({ password, ...node }) => ({ ...node, hasPassword: password !== '' })),
    })),
  };
}

function circleNamed(ctx: AdminContext, name: string): ReturnType<typeof circleView> {
  const topology = ctx.cluster.topology;
  return circleView(circleOf(topology.description, name), topology);
}

function nodeNamed(ctx: AdminContext, name: string): ReturnType<typeof nodeView> {
  const topology = ctx.cluster.topology;
  const circle = circleOfNode(topology.description, name);
  return nodeView(circle, circle.nodes.find((n) => n.name === name) as NodeDescription, topology.node(name));
}

/** The circles a job works on (and locks): checked against the topology, so a typo is a 404 now. */
function jobCircles(ctx: AdminContext, request: JobRequest): string[] {
  const description = ctx.cluster.topology.description;
  const all = description.circles.map((c) => c.name);
  for (const name of [request.circle, request.source]) if (name !== undefined) circleOf(description, name);
  if (request.node !== undefined) return [circleOfNode(description, request.node).name];
  if (request.type === 'resync') return all;
  return request.circle === undefined ? all : [request.circle];
}

export const adminRoutes: readonly AdminRoute[] = [
  {
    method: 'GET',
    url: '/admin/topology',
    summary: 'The stored topology: version, ring mode, circles with their members, next ring and phase (passwords left out).',
    status: 200,
    answers: 'The topology document.',
    handle: async (ctx) => publicTopology(ctx.cluster.topology.description),
  },
  {
    method: 'GET',
    url: '/admin/circles',
    summary: 'Every circle with its nodes and their state as this proxy sees it.',
    status: 200,
    answers: '{ version, circles: [...] }',
    handle: async (ctx) => {
      const topology = ctx.cluster.topology;
      return { version: topology.version, circles: topology.description.circles.map((circle) => circleView(circle, topology)) };
    },
  },
  {
    method: 'GET',
    url: '/admin/circles/:name',
    summary: 'One circle.',
    params: nameParamsSchema,
    status: 200,
    answers: 'The circle.',
    handle: async (ctx, { params }) => circleNamed(ctx, params.name as string),
  },
  {
    method: 'POST',
    url: '/admin/circles',
    summary: 'Adds a circle. Its nodes get the catalog first, then take every write; they serve reads once a recovery has filled them (or at once with filled: true).',
    body: addCircleSchema,
    status: 201,
    answers: 'The new circle.',
    handle: async (ctx, { body }) => {
      const request = body as z.infer<typeof addCircleSchema>;
      const next = await ctx.store.change((current) => addCircle(current, request.name, request.nodes, request.filled ?? false));
      // This proxy routes with it at once (the others follow the announcement).
      ctx.cluster.apply(next);
      ctx.log.info({ circle: request.name, version: next.version }, 'admin: circle added');
      return circleNamed(ctx, request.name);
    },
  },
  {
    method: 'POST',
    url: '/admin/circles/:name/nodes',
    summary: 'Adds a node to a circle. It joins the next ring: it gets the catalog, then the writes it will own; a rebalance copies the rest and moves reads to it.',
    params: nameParamsSchema,
    body: newNodeSchema,
    status: 201,
    answers: 'The node.',
    handle: async (ctx, { params, body }) => {
      const node = body as z.infer<typeof newNodeSchema>;
      const circle = params.name as string;
      const next = await ctx.store.change((current) => addNode(current, circle, node), { circle, token: null });
      // This proxy routes with it at once (the others follow the announcement).
      ctx.cluster.apply(next);
      ctx.log.info({ circle, node: node.name, version: next.version }, 'admin: node added; run a rebalance');
      return nodeNamed(ctx, node.name);
    },
  },
  {
    method: 'GET',
    url: '/admin/nodes',
    summary: 'Every node of every circle, with its role (member, joining, leaving) and state.',
    status: 200,
    answers: '{ version, nodes: [...] }',
    handle: async (ctx) => {
      const topology = ctx.cluster.topology;
      return {
        version: topology.version,
        nodes: topology.description.circles.flatMap((circle) => circle.nodes.map((node) => nodeView(circle, node, topology.node(node.name)))),
      };
    },
  },
  {
    method: 'GET',
    url: '/admin/nodes/:name',
    summary: 'One node.',
    params: nameParamsSchema,
    status: 200,
    answers: 'The node.',
    handle: async (ctx, { params }) => nodeNamed(ctx, params.name as string),
  },
  {
    method: 'PATCH',
    url: '/admin/nodes/:name',
    summary: 'Marks a node write-only or out for maintenance (or back), or changes its URL or credentials.',
    params: nameParamsSchema,
    body: nodeChangeSchema,
    status: 200,
    answers: 'The node.',
    handle: async (ctx, { params, body }) => {
      const change = body as z.infer<typeof nodeChangeSchema>;
      const name = params.name as string;
      const next = await ctx.store.change((current) => updateNode(current, name, change));
      // This proxy routes with it at once (the others follow the announcement).
      ctx.cluster.apply(next);
      ctx.log.info({ node: name, change: { ...change, password: change.password === undefined ? undefined : '***' }, version: next.version }, 'admin: node changed');
      return nodeNamed(ctx, name);
    },
  },
  {
    method: 'DELETE',
    url: '/admin/nodes/:name',
    summary: 'Removes a node: it leaves the next ring; a rebalance moves what it owns to the other nodes, then it is gone. A node that was only joining leaves at once.',
    params: nameParamsSchema,
    status: 202,
    answers: 'The circle after the change.',
    handle: async (ctx, { params }) => {
      const name = params.name as string;
      const circle = circleOfNode(ctx.cluster.topology.description, name).name;
      const next = await ctx.store.change((current) => removeNode(current, name), { circle, token: null });
      // This proxy routes with it at once (the others follow the announcement).
      ctx.cluster.apply(next);
      ctx.log.info({ circle, node: name, version: next.version }, 'admin: node leaving; run a rebalance');
      return circleNamed(ctx, circle);
    },
  },
  {
    method: 'GET',
    url: '/admin/replica',
    summary: 'The owner of a measurement in every circle (and its next owner while the ring changes).',
    query: replicaQuerySchema,
    status: 200,
    answers: '{ db, measurement, shardKey, circles: [{ circle, owner, next, copying }] }',
    handle: async (ctx, { query }) => {
      const { db, measurement } = query as z.infer<typeof replicaQuerySchema>;
      const key = shardKey(db, measurement);
      const topology = ctx.cluster.topology;
      return {
        db,
        measurement,
        shardKey: key,
        version: topology.version,
        circles: topology.circles.map((circle) => ({
          circle: circle.name,
          owner: circle.owner(key).name,
          writeOwners: circle.writeOwners(key).map((node) => node.name),
          next: circle.nextOwner(key)?.name ?? null,
          phase: circle.phase,
          copying: circle.copying(key),
        })),
      };
    },
  },
  {
    method: 'GET',
    url: '/admin/health',
    summary: 'Per node: active, buffered, replaying, catalog converged, and misplaced measurements (held but not owned); the live proxies and the topology version each routes with.',
    status: 200,
    answers: '{ version, nodes: [...], proxies, misplaced }',
    handle: async (ctx) => {
      const topology = ctx.cluster.topology;
      const nodes = await Promise.all(
        topology.description.circles.flatMap((circle) =>
          circle.nodes.map(async (description) => {
            const node = topology.node(description.name);
            const view = nodeView(circle, description, node);
            if (node === undefined || !node.healthy || node.maintenance) return { ...view, catalogConverged: view.catalogBehind === 0, misplaced: null, misplacedError: 'node not reachable' };
            try {
              const misplaced = await findMisplaced(topology, node, ctx.config.query.timeout, ctx.hiddenDatabases);
              return { ...view, catalogConverged: view.catalogBehind === 0, misplaced, misplacedError: null };
            } catch (err) {
              return { ...view, catalogConverged: view.catalogBehind === 0, misplaced: null, misplacedError: (err as Error).message };
            }
          }),
        ),
      );
      const proxies = await proxiesBehind(ctx.redis, ctx.keys, topology.version, ctx.config.topology.proxyTimeout);
      const workers = await ctx.jobs.queue.getWorkersCount().catch(() => null);
      return {
        version: topology.version,
        misplaced: nodes.reduce((sum, node) => sum + (node.misplaced?.length ?? 0), 0),
        proxies: { live: proxies.live, behind: proxies.behind },
        workers,
        nodes,
      };
    },
  },
  {
    method: 'POST',
    url: '/admin/jobs',
    summary: 'Starts an operation (rebalance, recovery, resync, cleanup) as a job a worker runs; at most one per circle at a time.',
    body: jobRequestSchema,
    status: 202,
    answers: 'The job.',
    handle: async (ctx, { body }) => {
      const request = body as z.infer<typeof jobRequestSchema>;
      return ctx.jobs.add(request, jobCircles(ctx, request));
    },
  },
  {
    method: 'GET',
    url: '/admin/jobs',
    summary: 'Jobs, newest first: waiting, running, and the finished ones kept (jobs.keepHistory).',
    query: jobListQuerySchema,
    status: 200,
    answers: '{ jobs: [...] }',
    handle: async (ctx, { query }) => ({ jobs: await ctx.jobs.list((query as z.infer<typeof jobListQuerySchema>).limit ?? 100) }),
  },
  {
    method: 'GET',
    url: '/admin/jobs/:id',
    summary: 'One job with its progress and logs.',
    params: idParamsSchema,
    status: 200,
    answers: '{ job, logs }',
    handle: async (ctx, { params }) => {
      const found = await ctx.jobs.get(params.id as string);
      if (found === null) throw new ProxyError('IRX_ERR_ADMIN_NOT_FOUND', [`no job ${params.id as string}`]);
      return found;
    },
  },
  {
    method: 'POST',
    url: '/admin/jobs/:id/cancel',
    summary: 'Cancels a job: a waiting one is removed, a running one stops at its next step and leaves the cluster consistent.',
    params: idParamsSchema,
    status: 202,
    answers: 'The job.',
    handle: async (ctx, { params }) => {
      const job = await ctx.jobs.cancel(params.id as string);
      if (job === null) throw new ProxyError('IRX_ERR_ADMIN_NOT_FOUND', [`no job ${params.id as string}`]);
      return job;
    },
  },
];
