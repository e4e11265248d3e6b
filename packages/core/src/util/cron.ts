import { Cron } from 'croner';

const DOW = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Cron and systemd have no year field, which croner would otherwise read as a seventh. */
const CRON_MODE = '5-or-6-parts';

/** A cron expression croner accepts (5 fields, or 6 with seconds first), or the reason it does not. */
export function validateCron(expression: string, timezone?: string): string | undefined {
  const trimmed = expression.trim();
  const fields = trimmed.split(/\s+/).length;
  if (!trimmed.startsWith('@') && fields !== 5 && fields !== 6) {
    return `expected five or six fields (minute hour day-of-month month day-of-week, or seconds first), found ${fields}`;
  }
  try {
    new Cron(expression, {
      paused: true,
      mode: CRON_MODE,
      ...(timezone === undefined ? {} : { timezone }),
    }).stop();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Next run times of a schedule after `from` (for `schedule --print` and tests). */
export function nextRuns(
  expression: string,
  timezone: string | undefined,
  from: Date,
  count: number,
): Date[] {
  const cron = new Cron(expression, {
    paused: true,
    mode: CRON_MODE,
    ...(timezone === undefined ? {} : { timezone }),
  });
  try {
    return cron.nextRuns(count, from);
  } finally {
    cron.stop();
  }
}

/**
 * Converts a 5-field cron expression to a systemd OnCalendar value, or explains why it cannot (seconds fields,
 * `L`/`W`/`#`, or both day-of-month and day-of-week restricted: cron ORs them, systemd ANDs them).
 */
export function cronToOnCalendar(
  expression: string,
  timezone?: string,
): { ok: true; value: string } | { ok: false; reason: string } {
  const expanded = NICKNAMES[expression.trim().toLowerCase()] ?? expression.trim();
  const fields = expanded.split(/\s+/);
  if (fields.length !== 5) {
    return { ok: false, reason: `"${expression}" has ${fields.length} fields; only 5-field cron converts` };
  }
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  if (expanded.includes('?') || /[LW]/i.test(dom) || /#|\dL|^L$/i.test(dow))
    return { ok: false, reason: `"${expression}" uses L, W, # or ?` };
  if (dom !== '*' && dow !== '*') {
    return {
      ok: false,
      reason: `"${expression}" restricts both day of month and day of week (cron matches either, systemd both)`,
    };
  }
  try {
    const days = dow === '*' ? '' : `${convertField(dow, 0, 7, dayName)} `;
    const date = `*-${convertField(month, 1, 12, monthNumber)}-${convertField(dom, 1, 31)}`;
    const time = `${convertField(hour, 0, 23)}:${convertField(minute, 0, 59)}:00`;
    return { ok: true, value: `${days}${date} ${time}${timezone === undefined ? '' : ` ${timezone}`}` };
  } catch (error) {
    return { ok: false, reason: `"${expression}": ${(error as Error).message}` };
  }
}

function dayName(value: string): string {
  const n = /^\d+$/.test(value)
    ? Number(value) % 7
    : DOW.findIndex((d) => d.toLowerCase() === value.toLowerCase());
  if (n < 0 || n > 6) throw new Error(`unknown day of week "${value}"`);
  return DOW[n] as string;
}

function monthNumber(value: string): string {
  if (/^\d+$/.test(value)) return value.padStart(2, '0');
  const n = MONTHS.indexOf(value.toLowerCase());
  if (n < 0) throw new Error(`unknown month "${value}"`);
  return String(n + 1).padStart(2, '0');
}

function convertField(field: string, min: number, max: number, name?: (v: string) => string): string {
  const pad = (v: string) => (name ? name(v) : /^\d+$/.test(v) ? v.padStart(2, '0') : badValue(v));
  return field
    .split(',')
    .map((part) => {
      const [range, step] = part.split('/') as [string, string | undefined];
      if (step !== undefined && !/^\d+$/.test(step)) throw new Error(`bad step "${part}"`);
      if (range === '*') return step === undefined ? '*' : `${pad(String(min))}/${step}`;
      const [from, to] = range.split('-') as [string, string | undefined];
      if (to === undefined) return step === undefined ? pad(from) : `${pad(from)}/${step}`;
      if (step !== undefined) {
        // systemd has no stepped range: list the values.
        const values: string[] = [];
        for (let v = Number(from); v <= Number(to); v += Number(step)) values.push(pad(String(v)));
        if (values.length === 0 || Number.isNaN(Number(from))) throw new Error(`bad range "${part}"`);
        return values.join(',');
      }
      return `${pad(from)}..${pad(to)}`;
    })
    .join(',')
    .replace(/^$/, () => {
      throw new Error(`empty field (allowed ${min}-${max})`);
    });
}

function badValue(value: string): never {
  throw new Error(`cannot convert "${value}"`);
}
