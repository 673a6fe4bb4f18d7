// Structured logs (pino): one JSON line per event, never one per point.
import { pino, type Logger } from 'pino';

export function createLogger(level: string, name = 'influxring-proxy'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}
