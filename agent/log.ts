import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * One JSON logger to stdout (journald keeps it); components take
 * `child({ component, camera })`. Secrets are redacted by key name wherever
 * they appear in a logged object.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['password', '*.password', '*.*.password', 'token', '*.token', 'url_with_credentials'], censor: '[redacted]' },
    },
    destination ?? pino.destination({ sync: false }),
  );
}
