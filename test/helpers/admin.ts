// The admin API from a test: JSON requests with the bearer token, and the answers as status + body.
export const ADMIN_TOKEN = 'test-admin-token';

export interface AdminAnswer<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export async function admin<T = unknown>(url: string, method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<AdminAnswer<T>> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed as T };
}

export interface JobState {
  readonly id: string;
  readonly state: string;
  readonly failedReason: string | null;
  readonly progress: { step: string; done: number; total: number; points: number } | null;
  readonly result: unknown;
}

/** Waits for a job to finish (completed or failed) and returns it with its logs. */
export async function waitForJob(url: string, id: string, timeoutMs = 120_000): Promise<{ job: JobState; logs: string[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await admin<{ job: JobState; logs: string[] }>(url, 'GET', `/admin/jobs/${id}`);
    if (answer.status !== 200) throw new Error(`GET /admin/jobs/${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    if (answer.body.job.state === 'completed' || answer.body.job.state === 'failed') return answer.body;
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish in ${timeoutMs} ms: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
