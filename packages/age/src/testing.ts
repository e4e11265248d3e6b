import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transform } from 'node:stream';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const keyFolders: string[] = [];

/** Removes the folders `ageKeygen` made (call it after a file's tests). */
export function removeKeyFolders(): void {
  for (const folder of keyFolders.splice(0)) rmSync(folder, { recursive: true, force: true });
}

/** A key pair made by the real `age-keygen`, its identity file in a fresh folder. */
export function ageKeygen(): { identityFile: string; identity: string; recipient: string } {
  const folder = mkdtempSync(join(tmpdir(), 'age-test-'));
  keyFolders.push(folder);
  const identityFile = join(folder, 'key.txt');
  execFileSync('age-keygen', ['-o', identityFile], { stdio: 'ignore' });
  const identity = readFileSync(identityFile, 'utf8')
    .split('\n')
    .find((line) => line.startsWith('AGE-SECRET-KEY-1')) as string;
  const recipient = execFileSync('age-keygen', ['-y', identityFile], { encoding: 'utf8' }).trim();
  return { identityFile, identity, recipient };
}

/** Everything `transform` makes of `input`, fed in pieces of `pieceSize` bytes. */
export async function through(transform: Transform, input: Buffer, pieceSize = 10_000): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < input.length; at += pieceSize) pieces.push(input.subarray(at, at + pieceSize));
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(pieces),
    transform,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(out);
}
