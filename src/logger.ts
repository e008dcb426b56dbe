import { pino } from 'pino';
import type { LogLevel } from './config/config-schema.ts';

export type Logger = pino.Logger;

/**
 * JSON lines on stdout. Anything that could carry a secret (codes, link tokens, cookies,
 * authorization headers) is redacted by path, so a careless log call cannot leak it.
 */
export function createLogger({ level }: { level: LogLevel }): Logger {
  return pino({
    level,
    base: { service: 'sesame' },
    redact: {
      paths: ['code', 'linkToken', 'link', '*.code', '*.linkToken', '*.link', 'req.headers.cookie', 'req.headers.authorization', 'headers.cookie', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}
