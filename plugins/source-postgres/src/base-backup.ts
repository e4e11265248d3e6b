import { finished, pipeline } from 'node:stream/promises';
import { type Dump, type DumpInfo, SourceError } from '@tricopy/contract';
import { firstErrorLine, type ProgramExit, startToolPipe } from '@tricopy/plugin-support';
import { lastWalFileBefore, parseBackupLabel, parseManifestWalRange } from './base-label.js';
import { assertBaseBackupCanReadServer, type ClusterFacts, clusterFacts } from './base-server.js';
import { BaseTarWatch } from './base-tar-watch.js';
import { resolveTool, type ToolVersion, toolVersion } from './binaries.js';
import type { ConnectionSettings } from './connection.js';
import { toolEnv } from './tool-env.js';

export const BASE_FORMAT = 'pg-base-tar';

/** What a base backup's DumpInfo.details holds (PITR-DESIGN.md). */
export interface BaseBackupDetails {
  readonly kind: 'base';
  readonly timeline: number;
  readonly startLsn: string;
  readonly stopLsn: string;
  readonly startWal: string;
  readonly stopWal: string;
  readonly startTime: string;
  readonly stopTime: string;
  readonly systemIdentifier: string;
  readonly bytes: number;
}

function baseArgs(): string[] {
  // -X fetch puts the WAL the backup needs into its own pg_wal: the tar alone is a consistent cluster.
  return ['--no-password', '--pgdata=-', '--format=tar', '--wal-method=fetch', '--checkpoint=fast'];
}

function toolFailure(exit: ProgramExit): string | undefined {
  if (exit.exitCode === 0) return undefined;
  if (exit.signal) return `pg_basebackup was killed by ${exit.signal}; the backup is incomplete`;
  const line = exit.error?.message ?? firstErrorLine(exit.stderr);
  if (line !== undefined && /single tablespace|only write single tablespace/i.test(line)) {
    return 'the cluster has more than one tablespace and a base backup to one stream holds only one: move their objects to pg_default, or use mode: dump';
  }
  return `pg_basebackup failed${exit.exitCode === null ? '' : ` (exit code ${exit.exitCode})`}${line === undefined ? '' : `: ${line}`}`;
}

/** Reads backup_label and backup_manifest out of the watched tar; a string says what is wrong. */
export function baseDetails(
  watch: BaseTarWatch,
  facts: ClusterFacts,
  stopTime: Date,
): BaseBackupDetails | string {
  if (watch.problem !== undefined) return watch.problem;
  if (!watch.ended) return 'the tar stream ended before its end-of-archive blocks: the backup is truncated';
  const labelText = watch.kept.get('backup_label');
  const manifestText = watch.kept.get('backup_manifest');
  if (labelText === undefined) return 'the backup has no backup_label';
  if (manifestText === undefined) return 'the backup has no backup_manifest';
  const label = parseBackupLabel(labelText);
  if (typeof label === 'string') return `backup_label lacks a valid ${label} line`;
  const range = parseManifestWalRange(manifestText);
  if (typeof range === 'string') return range;
  return {
    kind: 'base',
    timeline: range.timeline,
    startLsn: label.startLsn,
    stopLsn: range.endLsn,
    startWal: label.startWal,
    stopWal: lastWalFileBefore(range.timeline, range.endLsn, facts.segmentBytes),
    startTime: label.startTime,
    stopTime: stopTime.toISOString(),
    systemIdentifier: facts.systemIdentifier,
    bytes: watch.bytes,
  };
}

async function checkedTool(settings: ConnectionSettings, env: Record<string, string>, facts: ClusterFacts) {
  const { options, instance, configDir } = settings;
  const file = await resolveTool('pg_basebackup', options, configDir, instance);
  const tool: ToolVersion = await toolVersion(file, env, instance);
  assertBaseBackupCanReadServer(instance, file, tool, facts.server);
  return { file, tool };
}

/** Starts pg_basebackup writing the whole cluster as one tar; details come from the tar as it streams past. */
export async function startBaseBackup(
  settings: ConnectionSettings,
  workDir: string,
  signal?: AbortSignal,
): Promise<Dump> {
  const { instance } = settings;
  signal?.throwIfAborted();
  const facts = await clusterFacts(settings);
  const tools = await toolEnv(settings, workDir);
  try {
    const { file, tool } = await checkedTool(settings, tools.env, facts);
    const child = startToolPipe({
      file,
      args: baseArgs(),
      env: tools.env,
      ...(signal === undefined ? {} : { signal }),
    });
    const watch = new BaseTarWatch();
    const piped = pipeline(child.stdout, watch).catch((error: unknown) => {
      child.kill();
      throw error;
    });
    const completion = (async (): Promise<DumpInfo> => {
      try {
        const [pipedResult, exit] = await Promise.all([
          piped.then(
            () => undefined,
            (error: unknown) => error,
          ),
          child.tool,
        ]);
        const fail = (what: string) =>
          new SourceError(`source "${instance}": ${settings.redact(what)}`, {
            details: settings.redact(exit.stderr),
          });
        if (signal?.aborted) throw fail('pg_basebackup was cancelled; the backup is incomplete');
        const failure = toolFailure(exit);
        if (failure !== undefined) throw fail(failure);
        if (pipedResult !== undefined)
          throw fail(`reading pg_basebackup's output failed: ${String(pipedResult)}`);
        await finished(watch);
        const details = baseDetails(watch, facts, new Date());
        if (typeof details === 'string') throw fail(details);
        // A physical copy has no snapshot to count rows in: the tables are counted by a restore test, not here.
        return {
          engine: 'postgresql',
          engineVersion: facts.server.version,
          toolVersion: tool.text,
          tables: [],
          details: { ...details },
        };
      } finally {
        await tools.dispose();
      }
    })();
    completion.catch(() => {});
    return { stream: watch, format: BASE_FORMAT, extension: 'tar', completion };
  } catch (error) {
    await tools.dispose();
    throw error;
  }
}
