import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { AppConfig } from '../config/app-config';

/**
 * The one logger of a process: Nest's logs (through nestjs-pino), HTTP request logs and the start-up
 * lines before Nest exists (the embedded database) all go through it. JSON lines (pino's format) when
 * stdout is not a terminal, for log collectors; one readable line per event on a terminal:
 *
 *     10:15:51.123 INFO  [EmbeddedPostgres] started a private PostgreSQL on port 39763 …
 *
 * LOG_FORMAT=json|pretty overrides the choice (auto by default).
 */

const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '\x1b[90m'],
  20: ['DEBUG', '\x1b[36m'],
  30: ['INFO ', '\x1b[32m'],
  40: ['WARN ', '\x1b[33m'],
  50: ['ERROR', '\x1b[31m'],
  60: ['FATAL', '\x1b[35m'],
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
/** Fields every line has, or that the line shows in its own place. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'context', 'msg', 'err']);

function value(v: unknown): string {
  if (typeof v === 'string') return /\s/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/** Formats one pino JSON line as one readable line (plus the stack of an error, indented). */
export function prettyLine(json: string, colors: boolean): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const [name, color] = LEVELS[Number(o.level)] ?? [String(o.level), ''];
  const time = new Date(Number(o.time)).toISOString().slice(11, 23);
  const context = typeof o.context === 'string' ? ` [${o.context}]` : '';
  const extra = Object.entries(o)
    .filter(([k]) => !SHOWN.has(k))
    .map(([k, v]) => `${k}=${value(v)}`)
    .join(' ');
  const err = o.err as { message?: string; stack?: string } | undefined;
  const c = (code: string, text: string) => (colors ? `${code}${text}${RESET}` : text);
  let line = `${c(DIM, time)} ${c(color, name)}${c(colors ? '\x1b[33m' : '', context)} ${String(o.msg ?? '')}`;
  if (extra) line += ` ${c(DIM, extra)}`;
  if (err?.stack) line += `\n${err.stack.replace(/^/gm, '    ')}`;
  else if (err?.message) line += ` ${c(DIM, `err=${value(err.message)}`)}`;
  return `${line}\n`;
}

/** A pino destination that writes each JSON line as a pretty line to `out`. */
export function prettyStream(out: NodeJS.WritableStream = process.stdout, colors = true): DestinationStream {
  return { write: (line: string) => void out.write(prettyLine(line, colors)) };
}

const loggers = new Map<string, PinoLogger>();

/**
 * The process's root logger for `config` (level LOG_LEVEL, format LOG_FORMAT): one a level and
 * format, so that the app's modules and the start-up code share it. Credentials in request logs
 * are redacted.
 */
export function rootLogger(config: Pick<AppConfig, 'logLevel' | 'logFormat'>): PinoLogger {
  const key = `${config.logLevel}/${config.logFormat}`;
  let logger = loggers.get(key);
  if (logger === undefined) {
    const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY === true);
    const destination = pretty
      ? prettyStream(process.stdout, process.stdout.isTTY === true)
      : pino.destination({ dest: 1, sync: true });
    logger = pino(
      {
        level: config.logLevel,
        redact: {
          paths: ['req.headers.authorization', 'req.headers.cookie', 'req.body.token'],
          censor: '[redacted]',
        },
      },
      destination,
    );
    loggers.set(key, logger);
  }
  return logger;
}
