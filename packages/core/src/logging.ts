import type { LogFields, Logger } from '@tricopy/contract';
import { pino } from 'pino';
import type { Redactor } from './util/redactor.js';
import { terminalSafe } from './util/terminal-safe.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** Structured JSON lines (pino) for daemons and log collectors; every message and string field is redacted. */
export function createJsonLogger(
  level: LogLevel,
  redactor: Redactor,
  destination: NodeJS.WritableStream = process.stderr,
): Logger {
  const base = pino(
    { level, base: { name: 'tricopy' }, timestamp: pino.stdTimeFunctions.isoTime },
    destination as pino.DestinationStream,
  );
  const emit = (lvl: Exclude<LogLevel, 'silent'>) => (message: string, fields?: LogFields) =>
    base[lvl](redactFields(fields, redactor), terminalSafe(redactor.redact(message)));
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** Plain `level: message key=value` lines for people at a terminal. */
export function createHumanLogger(
  level: LogLevel,
  redactor: Redactor,
  destination: NodeJS.WritableStream = process.stderr,
): Logger {
  const emit = (lvl: Exclude<LogLevel, 'silent'>) => (message: string, fields?: LogFields) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const extra = Object.entries(redactFields(fields, redactor) ?? {})
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const prefix = lvl === 'info' ? '' : `${lvl}: `;
    destination.write(terminalSafe(`${prefix}${redactor.redact(message)}${extra ? ` (${extra})` : ''}\n`));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

function redactFields(fields: LogFields | undefined, redactor: Redactor): LogFields | undefined {
  if (fields === undefined || redactor.size === 0) return fields;
  return redactor.redactValues(fields);
}
