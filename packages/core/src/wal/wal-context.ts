import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { WalArchiving } from '@tricopy/contract';
import type { JobSpec } from '../config/load.js';
import type { Session } from '../session/session.js';
import { ensurePrivateFolder } from '../util/private-folder.js';

/** The folders of one job's archiver, kept between runs: `<workDir>/wal/<catalog>/<job>/`. */
export interface WalFolders {
  /** Where the receiver writes WAL files (pg_receivewal -D). */
  readonly spool: string;
  /** Each stored artifact, kept while its WAL file is in the spool: failed copies are written again from it. */
  readonly stored: string;
  /** The archiver's lock file: one archiver per job on this machine. */
  readonly lock: string;
}

/** What every step of the archiver works with. */
export interface WalContext {
  readonly session: Session;
  readonly job: JobSpec;
  readonly wal: WalArchiving;
  readonly folders: WalFolders;
  /** Aborts writes in progress (a hard stop); stopping the archiver lets the file in hand finish. */
  readonly signal: AbortSignal;
}

/** The job's archiver folders, created private (0700) when missing. */
export async function walFolders(session: Session, job: string): Promise<WalFolders> {
  await ensurePrivateFolder(session.config.workDir, session.config.file);
  const root = join(session.config.workDir, 'wal', catalogFolderName(session.config), job);
  const folders = {
    spool: join(root, 'spool'),
    stored: join(root, 'stored'),
    lock: join(root, 'archiver.lock'),
  };
  await mkdir(folders.spool, { recursive: true, mode: 0o700 });
  await mkdir(folders.stored, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return folders;
}

/**
 * Two configs may name a job alike and share the work folder: their spools must not mix. The folder is named after
 * the catalog the job records into (a PostgreSQL catalog without its credentials).
 */
export function catalogFolderName(config: {
  readonly catalogPath: string;
  readonly catalogUrl?: string;
}): string {
  const where = config.catalogUrl === undefined ? config.catalogPath : withoutCredentials(config.catalogUrl);
  return createHash('sha256').update(where).digest('hex').slice(0, 16);
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  return `${parsed.host}${parsed.pathname}`;
}
