// What must hold after any fault, checked by the chaos suite on the stores' own disks (not through tricopy).
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type BackupJson, filesUnder, sha256File } from './cli.js';

const TEMP = '.tricopy-tmp-';
const S3_OBJECT = '._S3rver_object';

/** One destination as it lies on disk: `root` holds `app/<id>/<file>` (S3: `<key>._S3rver_object`). */
export interface StoreOnDisk {
  readonly name: string;
  readonly root: string;
  readonly s3?: boolean;
}

export interface StoreState {
  /** `.tricopy-tmp-*` files (local, SFTP). */
  readonly temps: string[];
  /** Backup folders with objects under final names and no manifest. */
  readonly manifestLess: string[];
  /** Objects under a final name that do not match the manifest beside them. */
  readonly mismatched: string[];
}

/** Reads every `app/<id>/` folder of a store and checks each final name against its manifest. */
export async function inspectStore(store: StoreOnDisk, job: string): Promise<StoreState> {
  const temps: string[] = [];
  const byBackup = new Map<string, string[]>();
  for (const file of await filesUnder(join(store.root, job))) {
    const parts = file.split('/');
    const base = parts.at(-1) ?? '';
    if (base.startsWith(TEMP)) {
      temps.push(`${store.name}:${job}/${file}`);
      continue;
    }
    if (store.s3 && !base.endsWith(S3_OBJECT)) continue;
    if (parts.length < 2) continue;
    const id = parts[0] as string;
    byBackup.set(id, [...(byBackup.get(id) ?? []), file]);
  }
  const manifestLess: string[] = [];
  const mismatched: string[] = [];
  for (const [id, files] of byBackup) {
    const keyOf = (file: string) => `${job}/${store.s3 ? file.slice(0, -S3_OBJECT.length) : file}`;
    const manifestFile = files.find((f) => keyOf(f) === `${job}/${id}/manifest.json`);
    if (manifestFile === undefined) {
      manifestLess.push(`${store.name}:${job}/${id}`);
      continue;
    }
    const manifest = JSON.parse(await readFile(join(store.root, job, manifestFile), 'utf8')) as {
      artifact: { key: string; size: number; sha256: string };
    };
    for (const file of files) {
      if (file === manifestFile) continue;
      const path = join(store.root, job, file);
      const ok =
        keyOf(file) === manifest.artifact.key &&
        (await stat(path)).size === manifest.artifact.size &&
        (await sha256File(path)) === manifest.artifact.sha256;
      if (!ok) mismatched.push(`${store.name}:${keyOf(file)}`);
    }
  }
  return { temps, manifestLess, mismatched };
}

/** A stack trace or an uncaught error in front of a user. */
export function crashSigns(stderr: string): string[] {
  const signs: string[] = [];
  const frame = /^\s+at .+:\d+:\d+\)?$/m.exec(stderr);
  if (frame) signs.push(`stack frame: ${frame[0].trim()}`);
  const uncaught = /(Uncaught|UnhandledPromiseRejection|unhandled rejection|node:internal\/)[^\n]*/i.exec(
    stderr,
  );
  if (uncaught) signs.push(`uncaught: ${uncaught[0]}`);
  return signs;
}

export function exitCodeFor(status: string): number {
  return status === 'ok' ? 0 : status === 'degraded' ? 3 : 1;
}

/** Copies the run reports verified whose stored bytes differ from the artifact's sha256. */
export async function verifiedButDifferent(
  run: BackupJson['runs'][number],
  stores: readonly StoreOnDisk[],
): Promise<string[]> {
  const wrong: string[] = [];
  for (const copy of run.copies) {
    if (copy.status !== 'verified') continue;
    const store = stores.find((s) => s.name === copy.destination);
    if (store === undefined) continue;
    const files = await filesUnder(join(store.root, run.job, run.backupId));
    const artifact = files.find(
      (f) => !f.startsWith('manifest.json') && !f.startsWith(TEMP) && (!store.s3 || f.endsWith(S3_OBJECT)),
    );
    const sha =
      artifact === undefined
        ? 'missing'
        : await sha256File(join(store.root, run.job, run.backupId, artifact));
    if (sha !== run.sha256) wrong.push(`${copy.destination}: ${sha} instead of ${run.sha256}`);
  }
  return wrong;
}

/** A small seeded generator (mulberry32): the same seed gives the same trials. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
