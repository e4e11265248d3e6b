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

/**
 * Rewrites a SQL dump line by line on its way to the client. Data lines (`INSERT …` and the `(…),` tuple lines
 * of MariaDB's multi-line inserts) pass untouched, so row contents are never altered.
 */
export class RestoreRewriter extends Transform {
  private pending = '';
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
      const rewritten = this.rewrite(line);
      if (rewritten !== undefined) out.push(`${rewritten}\n`);
    }
    callback(null, out.join(''));
  }

  override _flush(callback: TransformCallback): void {
    const last = this.pending + this.decoder.end();
    const rewritten = last === '' ? undefined : this.rewrite(last);
    callback(null, rewritten ?? '');
  }
}
