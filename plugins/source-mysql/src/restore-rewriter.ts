import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export interface RewriteRules {
  /** Drop MariaDB's `/*M!999999\- enable the sandbox mode *\/` first line (MySQL's client rejects it). */
  readonly dropSandboxLine: boolean;
  /** Remove `DEFINER=user@host` clauses so the restoring user becomes the definer. */
  readonly stripDefiners: boolean;
  /** Database renames for `CREATE DATABASE` / `USE` lines of a multi-database dump. */
  readonly renameDatabases?: (name: string) => string;
}

const SANDBOX = /^\/\*M!999999\\- enable the sandbox mode \*\/\s*$/;
const DEFINER =
  /DEFINER\s*=\s*(?:`(?:[^`]|``)*`|'(?:[^'\\]|\\.)*'|[^\s@*]+)@(?:`(?:[^`]|``)*`|'(?:[^'\\]|\\.)*'|[^\s*]+)\s*/;
const DATABASE_LINE = /^(CREATE DATABASE (?:\/\*!32312 IF NOT EXISTS\*\/ )?|USE )`((?:[^`]|``)*)`/;
/** A `CREATE DATABASE` / `USE` line whose name goes on on the next line (the dump writes a newline in it raw). */
const OPEN_DATABASE_NAME = /^(CREATE DATABASE (?:\/\*!32312 IF NOT EXISTS\*\/ )?|USE )`(?:[^`]|``)*$/;
/** Longest statement head held back while its name is open. */
const OPEN_NAME_MAX = 4096;

/**
 * Rewrites a SQL dump line by line on its way to the client. Data lines (`INSERT …` and the `(…),` tuple lines
 * of MariaDB's multi-line inserts) pass untouched, so row contents are never altered.
 */
export class RestoreRewriter extends Transform {
  private pending = '';
  /** A database statement whose name holds a newline, until the line that closes it. */
  private opened: string | undefined;
  private first = true;
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly rules: RewriteRules) {
    super();
  }

  private rewrite(line: string): string | undefined {
    if (this.first) {
      this.first = false;
      if (this.rules.dropSandboxLine && SANDBOX.test(line)) return undefined;
    }
    if (line.startsWith('(') || line.startsWith('INSERT ')) return line;
    let out = line;
    // Only the clause of a CREATE statement (views, triggers, events, routines), never text in a routine body.
    if (
      this.rules.stripDefiners &&
      (out.startsWith('CREATE ') || out.startsWith('/*!')) &&
      out.includes('DEFINER')
    ) {
      out = out.replace(DEFINER, '');
    }
    const rename = this.rules.renameDatabases;
    if (rename !== undefined) {
      out = out.replace(DATABASE_LINE, (_all, prefix: string, name: string) => {
        const renamed = rename(name.replaceAll('``', '`'));
        return `${prefix}\`${renamed.replaceAll('`', '``')}\``;
      });
    }
    return out;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const text = this.pending + this.decoder.write(chunk);
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    const out: string[] = [];
    for (const line of lines) {
      const whole = this.opened === undefined ? line : `${this.opened}\n${line}`;
      if (
        this.rules.renameDatabases !== undefined &&
        whole.length < OPEN_NAME_MAX &&
        OPEN_DATABASE_NAME.test(whole)
      ) {
        this.opened = whole;
        continue;
      }
      this.opened = undefined;
      const rewritten = this.rewrite(whole);
      if (rewritten !== undefined) out.push(`${rewritten}\n`);
    }
    callback(null, out.join(''));
  }

  override _flush(callback: TransformCallback): void {
    const tail = this.pending + this.decoder.end();
    const last = this.opened === undefined ? tail : `${this.opened}\n${tail}`;
    const rewritten = last === '' ? undefined : this.rewrite(last);
    callback(null, rewritten ?? '');
  }
}
