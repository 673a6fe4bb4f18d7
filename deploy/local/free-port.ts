// A free TCP port on loopback, for the processes of a local cluster or a test.
import { createServer } from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `preferred` when it is free, else any free port. */
export async function portOr(preferred: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(freePort(host)));
    server.listen(preferred, host, () => server.close(() => resolve(preferred)));
  });
}
