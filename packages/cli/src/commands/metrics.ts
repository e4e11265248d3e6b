import { dirname, resolve } from 'node:path';
import { fleetStatus, renderMetrics, UsageError, writeTextfile } from '@tricopy/core';
import { type GlobalOptions, withSession } from '../context.js';
import { EXIT } from '../exit-codes.js';

export interface MetricsOptions extends GlobalOptions {
  textfile?: string;
}

/**
 * Prints the Prometheus metrics computed from the catalog, or with `--textfile PATH` writes them atomically for
 * node_exporter's textfile collector (a cron line after each backup, no daemon needed).
 */
export async function metricsCommand(options: MetricsOptions): Promise<number> {
  return withSession(options, async (session) => {
    const jobs = await fleetStatus(session, session.now());
    if (options.textfile === undefined) {
      process.stdout.write(await renderMetrics(jobs));
      return EXIT.ok;
    }
    if (!options.textfile.endsWith('.prom'))
      throw new UsageError(`--textfile ${options.textfile}: node_exporter reads only files ending in .prom`);
    try {
      await writeTextfile(options.textfile, jobs);
    } catch (error) {
      throw new Error(
        `cannot write --textfile ${options.textfile}: ${textfileProblem(options.textfile, error)}`,
      );
    }
    return EXIT.ok;
  });
}

/** Why the file could not be written, naming its folder (Node's own message names the temporary file). */
function textfileProblem(textfile: string, error: unknown): string {
  const folder = dirname(resolve(textfile));
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return `folder ${folder} does not exist (create it, or give node_exporter's --collector.textfile.directory)`;
  if (code === 'EACCES' || code === 'EPERM') return `folder ${folder} is not writable by this user (${code})`;
  if (code === 'ENOTDIR') return `${folder} is not a folder (ENOTDIR)`;
  return (error as Error).message;
}
