import { join } from 'node:path';
import type { Encryption } from '@tricopy/age';
import type { RunContext } from './backup-run.js';

/** Where a job that keeps a spool file writes it: in this run's scratch folder. */
async function spoolPathOf(run: RunContext): Promise<string> {
  return join(await run.session.workDir(), `${run.job.name}.spool`);
}

/** What the stream step needs that takes a wait to make: made before the dump starts (see stagesOf). */
export interface Prepared {
  /** The job's encryptor and its in-stream verifier; undefined for a plaintext job. */
  readonly encryption: Encryption | undefined;
  /** Where the job's spool file goes; undefined when it keeps none. */
  readonly spoolPath: string | undefined;
}

/** The prepare step: what the stream step needs, made before the dump starts. */
export async function prepareStream(run: RunContext): Promise<Prepared> {
  const recipients = run.job.encryption?.recipients;
  return {
    // Loaded only for an encrypted job: age costs every other command's start-up.
    encryption:
      recipients === undefined
        ? undefined
        : await (await import('@tricopy/age')).createEncryption(recipients),
    spoolPath: run.job.spool ? await spoolPathOf(run) : undefined,
  };
}
