import { Transform, type TransformCallback } from 'node:stream';
import { Parser } from 'tar';

/** The small files of a base backup tar that say what it holds; every other body is skipped, never kept. */
const KEPT = new Set(['backup_label', 'backup_manifest']);
/** backup_manifest lists every file of the cluster (~150 bytes each): far below this for any real cluster. */
const MAX_KEPT_BYTES = 256 * 1024 * 1024;

/**
 * Passes a base backup tar through unchanged while parsing it on the side: counts bytes, keeps backup_label and
 * backup_manifest, notes whether the archive ended properly. Tar problems are recorded, not thrown: the dump's
 * completion reports them.
 */
export class BaseTarWatch extends Transform {
  bytes = 0;
  ended = false;
  problem: string | undefined;
  readonly kept = new Map<string, string>();
  private readonly parser = new Parser({ strict: true });
  private current: { path: string; chunks: Buffer[]; size: number } | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.problem === undefined) {
      this.parser.push(chunk);
      this.drain();
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.problem === undefined) {
      this.parser.end();
      this.drain();
    }
    callback();
  }

  private drain(): void {
    try {
      for (let event = this.parser.next(); event !== undefined; event = this.parser.next()) {
        if (event.type === 'entry') this.begin(event.entry.path, event.entry.size);
        else if (event.type === 'body') this.current?.chunks.push(Buffer.from(event.data));
        else if (event.type === 'entryEnd') this.finish();
        else this.ended = true;
      }
    } catch (error) {
      this.problem = `the tar stream is damaged: ${(error as Error).message}`;
    }
  }

  private begin(path: string, size: number): void {
    const name = path.replace(/^\.\//, '');
    this.current = undefined;
    if (!KEPT.has(name)) return;
    if (size > MAX_KEPT_BYTES) {
      this.problem = `${name} is ${size} bytes, more than any real one`;
      return;
    }
    this.current = { path: name, chunks: [], size };
  }

  private finish(): void {
    if (this.current === undefined) return;
    this.kept.set(this.current.path, Buffer.concat(this.current.chunks).toString('utf8'));
    this.current = undefined;
  }
}
