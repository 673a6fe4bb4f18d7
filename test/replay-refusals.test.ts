// What the replayer does when a node refuses a buffered batch: a batch for a database this node lacks
// but others have blocks the buffer (nothing behind it may pass) until the database exists, then
// everything arrives in order; a batch a node refuses for a client reason (a type conflict only this
// node has) is dropped and counted, and the batches behind it are replayed; a batch for a database no
// node has any more is dropped and counted.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { query, startCluster, type TestCluster } from './helpers/cluster.js';
import { rows, write } from './helpers/influx.js';
import { metric, nodeHealth, waitUntil } from './helpers/load.js';

let cluster: TestCluster;

beforeEach(async () => {
  // 2 circles × 1 node: every point goes to a1 and to b1.
  cluster = await startCluster({ circles: [1, 1], databases: ['demo', 'other'], config: { health: { catalogRefresh: 500 } } });
});

afterEach(async () => {
  await cluster?.stop();
});

const b1 = (): { url: string; stop(): Promise<void>; restart(): Promise<void> } => cluster.node('b1');

async function buffered(node: string): Promise<void> {
  await waitUntil(`${node} buffering`, async () => (await nodeHealth(cluster.url, node)).buffered.points > 0, 10_000);
}

async function ok(path: string, body: string): Promise<void> {
  const response = await write(cluster.url, path, body);
  expect(response.status, response.text).toBe(204);
}

describe('replay refusals', () => {
  it('blocks on a database missing on the node until it exists, keeping the order of what follows', async () => {
    await query(b1().url, 'DROP DATABASE "other"');
    await b1().stop();
    await ok('/write?db=other', 'm v=1 1000');
    await buffered('b1');
    await ok('/write?db=demo', 'm v=2 2000');
    await b1().restart();
    await waitUntil(
      'the replay to block',
      async () => (await nodeHealth(cluster.url, 'b1')).lastError?.includes('replay blocked') === true,
      15_000,
    );
    // Nothing behind the blocked batch passed it: demo's point is still buffered, not on b1.
    expect(await rows(b1().url, 'demo', 'SELECT * FROM m')).toEqual([]);
    expect((await nodeHealth(cluster.url, 'b1')).buffered.points).toBe(2);
    await query(b1().url, 'CREATE DATABASE "other"');
    await waitUntil('b1 active', async () => (await nodeHealth(cluster.url, 'b1')).active, 15_000);
    expect(await rows(b1().url, 'other', 'SELECT v FROM m')).toEqual([['1970-01-01T00:00:00.000001Z', 1]]);
    expect(await rows(b1().url, 'demo', 'SELECT v FROM m')).toEqual([['1970-01-01T00:00:00.000002Z', 2]]);
  });

  it('drops a batch the node refuses for a client reason, counts it, and replays what follows', async () => {
    // Only b1 knows field v of `typed` as an integer: the proxy's float is fine on a1, refused on b1.
    await write(b1().url, '/write?db=demo', 'typed v=1i 500');
    await b1().stop();
    await ok('/write?db=demo', 'typed v=1.5 1000');
    await buffered('b1');
    await ok('/write?db=demo', 'after v=3 3000');
    await b1().restart();
    await waitUntil('b1 active', async () => (await nodeHealth(cluster.url, 'b1')).active, 15_000);
    expect(await rows(b1().url, 'demo', 'SELECT v FROM typed')).toEqual([['1970-01-01T00:00:00.0000005Z', 1]]);
    expect(await rows(b1().url, 'demo', 'SELECT v FROM after')).toEqual([['1970-01-01T00:00:00.000003Z', 3]]);
    expect(await metric(cluster.url, 'influxring_points_rejected_total', { reason: 'replay_rejected' })).toBe(1);
  });

  it('drops a batch for a database no node has any more, and counts it', async () => {
    await query(b1().url, 'DROP DATABASE "other"');
    await b1().stop();
    await ok('/write?db=other', 'm v=1 1000');
    await buffered('b1');
    // `other` disappears from a1 too: no node has it now.
    await query(cluster.node('a1').url, 'DROP DATABASE "other"');
    await b1().restart();
    await waitUntil('b1 active', async () => (await nodeHealth(cluster.url, 'b1')).active, 20_000);
    expect(await metric(cluster.url, 'influxring_points_rejected_total', { reason: 'replay_rejected' })).toBe(1);
  });
});
