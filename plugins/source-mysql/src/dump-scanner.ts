import { Transform, type TransformCallback } from 'node:stream';

const HEAD_MAX = 1024;
const QUOTE = 0x27;
const BACKSLASH = 0x5c;
const OPEN = 0x28;
const CLOSE = 0x29;
const SEMICOLON = 0x3b;
const NEWLINE = 0x0a;

enum Mode {
  LineStart = 0,
  Skip = 1,
  Values = 2,
}

/** Reads a backquoted identifier at `start` (just after the opening quote); returns it and the index after it. */
function readIdent(head: Buffer, start: number): { name: string; end: number } | undefined {
  const parts: Buffer[] = [];
  let k = start;
  while (k < head.length) {
    const tick = head.indexOf(0x60, k);
    if (tick === -1) return undefined;
    parts.push(head.subarray(k, tick));
    if (head[tick + 1] === 0x60) {
      parts.push(Buffer.from('`'));
      k = tick + 2;
      continue;
    }
    return { name: Buffer.concat(parts).toString('utf8'), end: tick + 1 };
  }
  return undefined;
}

/** Statements whose line starts with a quoted name the scanner reads. */
const NAMED_STATEMENTS = ['INSERT INTO `', 'CREATE TABLE `', 'USE `'].map((text) =>
  Buffer.from(text, 'latin1'),
);

/** Whether `head` is one of those statements and its name is still open (it holds a newline). */
function opensName(head: Buffer): boolean {
  const statement = NAMED_STATEMENTS.find((prefix) => head.subarray(0, prefix.length).equals(prefix));
  return statement !== undefined && readIdent(head, statement.length) === undefined;
}

/**
 * Passes a mysqldump / mariadb-dump SQL stream through unchanged while counting the rows of every
 * `INSERT INTO … VALUES (…),(…);` statement per table: the counts are exactly what the dump holds.
 * Tables are registered by their `CREATE TABLE` lines (so empty tables count 0); `USE` lines switch databases.
 * Memory stays bounded: at most the first 1 KiB of a line is kept.
 */
export class DumpScanner extends Transform {
  readonly counts = new Map<string, number>();
  bytes = 0;
  tail = Buffer.alloc(0);
  private mode = Mode.LineStart;
  private head = Buffer.alloc(HEAD_MAX);
  private headLength = 0;
  private database: string | undefined;
  private table = '';
  private inString = false;
  private escaped = false;
  private depth = 0;

  constructor(private readonly qualify: boolean) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    this.tail = Buffer.concat([this.tail, chunk.subarray(-256)]).subarray(-256);
    this.scan(chunk);
    callback(null, chunk);
  }

  private label(name: string): string {
    return this.qualify && this.database !== undefined ? `${this.database}.${name}` : name;
  }

  private scan(buf: Buffer): void {
    let i = 0;
    while (i < buf.length) {
      if (this.mode === Mode.Skip) {
        const newline = buf.indexOf(NEWLINE, i);
        if (newline === -1) return;
        i = newline + 1;
        this.mode = Mode.LineStart;
        this.headLength = 0;
      } else if (this.mode === Mode.LineStart) {
        const newline = buf.indexOf(NEWLINE, i);
        const end = newline === -1 ? buf.length : newline;
        const take = Math.min(end - i, HEAD_MAX - this.headLength);
        buf.copy(this.head, this.headLength, i, i + take);
        this.headLength += take;
        i += take;
        if (newline === -1 && this.headLength < HEAD_MAX) return;
        if (
          i === newline &&
          this.headLength < HEAD_MAX &&
          opensName(this.head.subarray(0, this.headLength))
        ) {
          // A quoted name with a newline in it (mariadb-dump writes it raw): the statement goes on.
          this.head[this.headLength++] = NEWLINE;
          i = newline + 1;
          continue;
        }
        const valuesAt = this.decide(this.head.subarray(0, this.headLength));
        if (valuesAt === undefined) {
          this.mode = Mode.Skip;
        } else {
          this.mode = Mode.Values;
          this.inString = false;
          this.escaped = false;
          this.depth = 0;
          this.scanValues(this.head.subarray(0, this.headLength), valuesAt);
        }
      } else {
        i = this.scanValues(buf, i);
      }
    }
  }

  /** Handles a line head; returns where the VALUES list starts for an INSERT, else undefined. */
  private decide(head: Buffer): number | undefined {
    if (head.subarray(0, 13).toString('latin1') === 'INSERT INTO `') {
      const ident = readIdent(head, 13);
      if (ident === undefined) return undefined;
      const rest = head.subarray(ident.end, ident.end + 8).toString('latin1');
      if (!rest.startsWith(' VALUES')) return undefined;
      this.table = this.label(ident.name);
      if (!this.counts.has(this.table)) this.counts.set(this.table, 0);
      return ident.end + 7;
    }
    if (head.subarray(0, 14).toString('latin1') === 'CREATE TABLE `') {
      const ident = readIdent(head, 14);
      if (ident !== undefined && !this.counts.has(this.label(ident.name)))
        this.counts.set(this.label(ident.name), 0);
    } else if (head.subarray(0, 5).toString('latin1') === 'USE `') {
      const ident = readIdent(head, 5);
      if (ident !== undefined) this.database = ident.name;
    }
    return undefined;
  }

  /** Counts top-level tuples from `start`; returns the index after the statement's `;` or buf.length. */
  private scanValues(buf: Buffer, start: number): number {
    let j = start;
    let rows = 0;
    while (j < buf.length) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          j++;
          continue;
        }
        const quote = buf.indexOf(QUOTE, j);
        const backslash = buf.indexOf(BACKSLASH, j);
        if (quote === -1 && backslash === -1) {
          j = buf.length;
          break;
        }
        if (backslash !== -1 && (quote === -1 || backslash < quote)) {
          this.escaped = true;
          j = backslash + 1;
        } else {
          this.inString = false;
          j = quote + 1;
        }
        continue;
      }
      const byte = buf[j];
      if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN) {
        if (this.depth === 0) rows++;
        this.depth++;
      } else if (byte === CLOSE) this.depth--;
      else if (byte === SEMICOLON && this.depth === 0) {
        this.counts.set(this.table, (this.counts.get(this.table) ?? 0) + rows);
        this.mode = Mode.Skip;
        return j + 1;
      }
      j++;
    }
    this.counts.set(this.table, (this.counts.get(this.table) ?? 0) + rows);
    return j;
  }
}
