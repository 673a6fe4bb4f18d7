// Reads a write body into one Buffer under the configured limits: the size as received, the size after
// gzip decompression (checked per chunk, so a gzip bomb stops early) and the time to receive it.
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { ProxyError } from './errors.js';

export interface BodyLimits {
  readonly maxBodyBytes: number;
  readonly maxCompressedBodyBytes: number;
  readonly requestTimeout: number;
}

export function readBody(stream: Readable, contentEncoding: string | undefined, contentLength: number | null, limits: BodyLimits): Promise<Buffer> {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== '') {
    return Promise.reject(new ProxyError('IRX_ERR_CONTENT_ENCODING', [encoding]));
  }
  const gzipped = encoding === 'gzip';
  if (contentLength !== null && contentLength > limits.maxCompressedBodyBytes) {
    return Promise.reject(new ProxyError('IRX_ERR_WRITE_BODY_TOO_LARGE', [limits.maxCompressedBodyBytes, '']));
  }

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let decoded = 0;
    let settled = false;
    const gunzip = gzipped ? createGunzip() : null;

    const finish = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err !== null) {
        stream.off('data', onData);
        stream.resume(); // discard the rest so the response can still be sent
        gunzip?.destroy();
        reject(err);
        return;
      }
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, decoded));
    };
    const timer = setTimeout(() => finish(new ProxyError('IRX_ERR_WRITE_TIMEOUT', [limits.requestTimeout])), limits.requestTimeout);

    const onDecoded = (chunk: Buffer): void => {
      decoded += chunk.length;
      if (decoded > limits.maxBodyBytes) {
        finish(new ProxyError('IRX_ERR_WRITE_BODY_TOO_LARGE', [limits.maxBodyBytes, gzipped ? ' after decompression' : '']));
        return;
      }
      chunks.push(chunk);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limits.maxCompressedBodyBytes) {
        finish(new ProxyError('IRX_ERR_WRITE_BODY_TOO_LARGE', [limits.maxCompressedBodyBytes, '']));
        return;
      }
      if (gunzip !== null) gunzip.write(chunk);
      else onDecoded(chunk);
    };

    if (gunzip !== null) {
      gunzip.on('data', onDecoded);
      gunzip.on('end', () => finish(null));
      gunzip.on('error', (err) => finish(new ProxyError('IRX_ERR_WRITE_BODY_UNREADABLE', [`gzip: ${err.message}`])));
    }
    stream.on('data', onData);
    stream.on('end', () => {
      if (gunzip !== null) gunzip.end();
      else finish(null);
    });
    stream.on('error', (err) => finish(new ProxyError('IRX_ERR_WRITE_BODY_UNREADABLE', [err.message])));
    stream.on('aborted', () => finish(new ProxyError('IRX_ERR_WRITE_BODY_UNREADABLE', ['the client closed the connection'])));
  });
}
