import { childEnv, SourceError } from '@tricopy/contract';
import type pg from 'pg';
import { familyName, resolveTool, serverFamily, type ToolVersion, toolVersion } from './binaries.js';
import { type ConnectionSettings, connect } from './connection.js';
import { assertToolCanReadServer, type ServerInfo, serverInfo } from './dump.js';

/** What a base backup needs to know about the cluster, read before pg_basebackup starts. */
export interface ClusterFacts {
  readonly server: ServerInfo;
  readonly systemIdentifier: string;
  readonly segmentBytes: number;
}

/** Tablespaces besides pg_default and pg_global: pg_basebackup cannot write them to one stream. */
async function extraTablespaces(client: pg.Client): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    "SELECT spcname AS name FROM pg_catalog.pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global') ORDER BY 1",
  );
  return result.rows.map((row) => row.name);
}

async function hasReplication(client: pg.Client): Promise<boolean> {
  const result = await client.query<{ ok: boolean }>(
    'SELECT rolreplication OR rolsuper AS ok FROM pg_catalog.pg_roles WHERE rolname = current_user',
  );
  return result.rows[0]?.ok === true;
}

async function segmentBytes(client: pg.Client): Promise<number> {
  const result = await client.query<{ setting: string }>(
    "SELECT setting FROM pg_catalog.pg_settings WHERE name = 'wal_segment_size'",
  );
  return Number(result.rows[0]!.setting);
}

/** IDENTIFY_SYSTEM over a replication session: proves the role may replicate and pg_hba lets it. */
async function systemIdentifier(settings: ConnectionSettings): Promise<string> {
  const client = await connect(settings, settings.options.database, { replication: true });
  try {
    const result = await client.query<{ systemid: string }>('IDENTIFY_SYSTEM');
    return String(result.rows[0]!.systemid);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Checks that a base backup can run (REPLICATION, one tablespace, a replication session is allowed) and reads what
 * its details need. Throws a one-line SourceError naming the fix.
 */
export async function clusterFacts(settings: ConnectionSettings): Promise<ClusterFacts> {
  const { instance, options } = settings;
  const client = await connect(settings, options.database);
  try {
    if (!(await hasReplication(client))) {
      throw new SourceError(
        `source "${instance}": role "${options.user}" lacks the REPLICATION attribute that pg_basebackup needs (mode: base): ALTER ROLE ${options.user} REPLICATION, and allow it a "replication" line in pg_hba.conf`,
      );
    }
    const extra = await extraTablespaces(client);
    if (extra.length > 0) {
      throw new SourceError(
        `source "${instance}": the cluster has tablespaces besides pg_default (${extra.join(', ')}); a base backup to one stream holds only one: move their objects to pg_default (ALTER TABLE … SET TABLESPACE pg_default) and drop them, or use mode: dump`,
      );
    }
    const server = await serverInfo(client);
    const bytes = await segmentBytes(client);
    return { server, segmentBytes: bytes, systemIdentifier: await systemIdentifier(settings) };
  } finally {
    await client.end().catch(() => {});
  }
}

/** pg_basebackup must be of the server's major version or newer, and the server have backup manifests (13+). */
export function assertBaseBackupCanReadServer(
  instance: string,
  file: string,
  tool: ToolVersion,
  server: ServerInfo,
): void {
  assertToolCanReadServer(instance, file, tool, server);
  if (serverFamily(server.versionNum) < 1300) {
    throw new SourceError(
      `source "${instance}": mode: base needs PostgreSQL 13 or newer (backup manifests); the server is ${server.version}: use mode: dump`,
    );
  }
}

/**
 * What restores and restore tests of a base backup need on this machine that it lacks: not root (PostgreSQL refuses
 * it), and pg_ctl of the server's major version.
 */
export async function baseRestoreNeeds(settings: ConnectionSettings, server: ServerInfo): Promise<string[]> {
  const { options, configDir, instance } = settings;
  const needs: string[] = [];
  if (process.getuid?.() === 0) {
    needs.push(
      'PostgreSQL refuses to run as root: run tricopy as the PostgreSQL OS user (e.g. runuser -u postgres -- tricopy …)',
    );
  }
  const family = serverFamily(server.versionNum);
  const pgCtl = await resolveTool('pg_ctl', options, configDir, instance).catch(() => undefined);
  const tool =
    pgCtl === undefined ? undefined : await toolVersion(pgCtl, childEnv(), instance).catch(() => undefined);
  if (tool?.family !== family) {
    needs.push(
      `a base backup starts only with PostgreSQL ${familyName(family)}: install its server package (pg_ctl${tool === undefined ? ' not found' : ` found is ${tool.text}`}) and point binDir at its bin folder`,
    );
  }
  return needs;
}
