/** One assertion of a drill, as the drill recorded it. */
export interface DrillAssertion {
  readonly name: string | null;
  readonly sql: string | null;
  /** The value the query returned, as text; null when not recorded. */
  readonly value: string | null;
  /** null: the drill did not say. */
  readonly ok: boolean | null;
}

/** What a drill's `detail` says (a JSON text); every field null when the detail does not say it. */
export interface DrillDetail {
  readonly target: string | null;
  readonly durationMs: number | null;
  readonly assertions: readonly DrillAssertion[];
  readonly error: string | null;
}

const NOTHING: DrillDetail = { target: null, durationMs: null, assertions: [], error: null };

/**
 * A drill row's detail, read defensively: it is `{"target","durationMs","assertions":[{name,sql,value,ok}],"error"}`
 * when the drill wrote it, but any field may be missing or of another type, and the text may not be JSON at all
 * (then it is the error).
 */
export function parseDrillDetail(detail: string | null): DrillDetail {
  if (detail === null) return NOTHING;
  let parsed: unknown;
  try {
    parsed = JSON.parse(detail);
  } catch {
    return { ...NOTHING, error: detail };
  }
  if (!isRecord(parsed)) return { ...NOTHING, error: detail };
  const duration = parsed.durationMs;
  return {
    target: textOrNull(parsed.target),
    durationMs: typeof duration === 'number' && Number.isFinite(duration) && duration >= 0 ? duration : null,
    assertions: Array.isArray(parsed.assertions) ? parsed.assertions.filter(isRecord).map(assertionOf) : [],
    error: textOrNull(parsed.error),
  };
}

function assertionOf(raw: Record<string, unknown>): DrillAssertion {
  return {
    name: textOrNull(raw.name),
    sql: textOrNull(raw.sql),
    value: raw.value === undefined || raw.value === null ? null : valueText(raw.value),
    ok: typeof raw.ok === 'boolean' ? raw.ok : null,
  };
}

function valueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function textOrNull(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return valueText(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
