// A webhook receiver on a free loopback port: records the JSON body of every call, answers 204.
import { createServer } from 'node:http';
import { freePort } from '../../deploy/local/free-port.js';

export interface WebhookReceiver {
  readonly url: string;
  readonly calls: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function webhookReceiver(): Promise<WebhookReceiver> {
  const calls: Record<string, unknown>[] = [];
  const port = await freePort();
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      calls.push(JSON.parse(body) as Record<string, unknown>);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}/hook`, calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
