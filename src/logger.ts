import { pino } from 'pino';
import type { LogLevel } from './config/config-schema.ts';

export type Logger = pino.Logger;

/**
 * JSON lines on stdout. Anything that could carry a secret (codes, link tokens, cookies,
 * authorization headers) is redacted by path, so a careless log call cannot leak it.
 */
export function createLogger({ level, destination }: { level: LogLevel; /** @default stdout */ destination?: pino.DestinationStream }): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'sesame' },
    redact: {
      paths: ['code', 'linkToken', 'link', '*.code', '*.linkToken', '*.link', 'req.headers.cookie', 'req.headers.authorization', 'headers.cookie', 'headers.authorization'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
