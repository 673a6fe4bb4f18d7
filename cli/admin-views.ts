// The admin API's answers as the CLI reads them. The node, circle and job views are the proxy's own
// types (imported as types only: nothing of the proxy runs in the CLI), so a change to the contract
// fails the CLI's build instead of its output; the shapes that the routes build inline are spelled
// out here, as proxy/admin/routes.ts answers them.
import type { JobView } from '../proxy/admin/job-queue.js';
import type { CircleView, NodeView } from '../proxy/admin/views.js';
import type { MisplacedMeasurement } from '../proxy/misplaced.js';

export type { CircleView, JobView, MisplacedMeasurement, NodeView };

/** GET /admin/circles */
export interface CircleList {
  readonly version: number;
  readonly circles: readonly CircleView[];
}

/** GET /admin/nodes */
export interface NodeList {
  readonly version: number;
  readonly nodes: readonly NodeView[];
}

/** A node in GET /admin/health: its view, whether its catalog is applied, what it holds but does not own. */
export interface HealthNode extends NodeView {
  readonly catalogConverged: boolean;
  /** Null when the node could not be asked (see misplacedError). */
  readonly misplaced: readonly MisplacedMeasurement[] | null;
  readonly misplacedError: string | null;
}

/** GET /admin/health */
export interface HealthView {
  readonly version: number;
  /** Misplaced measurements on all nodes. */
  readonly misplaced: number;
  readonly proxies: { readonly live: number; readonly behind: readonly { readonly id: string; readonly version: number }[] };
  /** Worker processes connected to the job queue, or null when Redis did not say. */
  readonly workers: number | null;
  readonly nodes: readonly HealthNode[];
}

/** GET /admin/replica */
export interface ReplicaView {
  readonly db: string;
  readonly measurement: string;
  readonly shardKey: string;
  readonly version: number;
  readonly circles: readonly {
    readonly circle: string;
    readonly owner: string;
    readonly writeOwners: readonly string[];
    readonly next: string | null;
    readonly phase: string | null;
    readonly copying: boolean;
  }[];
}

/** GET /admin/jobs */
export interface JobList {
  readonly jobs: readonly JobView[];
}

/** GET /admin/jobs/:id */
export interface JobDetail {
  readonly job: JobView;
  readonly logs: readonly string[];
}
