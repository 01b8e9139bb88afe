import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export type LogFormat = 'json' | 'pretty';

/** `log.format: auto`: pretty for a person at a terminal, JSON for journald and log shippers. */
export function resolveLogFormat(format: 'auto' | LogFormat, isTty: boolean): LogFormat {
  return format === 'auto' ? (isTty ? 'pretty' : 'json') : format;
}

/**
 * One JSON logger to stdout (journald keeps it); components take
 * `child({ component, camera })`. Secrets are redacted by key name wherever
 * they appear in a logged object. `pretty` turns each JSON line into one
 * human-readable line on its way out (same records, same redaction).
 */
export function createLogger(level: string, destination?: pino.DestinationStream, format: LogFormat = 'json'): Logger {
  const out = destination ?? pino.destination({ sync: false });
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['password', '*.password', '*.*.password', 'token', '*.token', 'url_with_credentials'], censor: '[redacted]' },
    },
    format === 'pretty' ? { write: (line: string) => void out.write(prettyLine(line)) } : out,
  );
}

const OMIT = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component', 'camera']);

/**
 * `09:07:37.798 WARN  capture/cam1: camera unreachable  code=AGENT_ERR_RTSP_OPEN`:
 * time of day, level, component/camera, message, the other fields as
 * key=value (objects as JSON). A line that is not JSON passes unchanged.
 */
export function prettyLine(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const time = typeof record.time === 'string' ? record.time.slice(11, 23) : '';
  const level = String(record.level ?? '').toUpperCase().padEnd(5);
  const where = [record.component, record.camera].filter((v) => v !== undefined).join('/');
  const fields = Object.entries(record)
    .filter(([key]) => !OMIT.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const head = [time, level, where ? `${where}:` : '', String(record.msg ?? '')].filter((s) => s !== '').join(' ');
  return `${fields.length > 0 ? `${head}  ${fields.join(' ')}` : head}\n`;
}
