import { SourceError } from '@tricopy/contract';
import type pg from 'pg';
import { type ConnectionSettings, quoteIdent } from './connection.js';

/** Restore tests, `restore --create-database` and `restore --force` all create a database. */
export function createdbNeed(user: string): string {
  return `user "${user}" may not create databases (it lacks CREATEDB), and restore tests and restores create one: grant it with ALTER ROLE ${quoteIdent(user)} CREATEDB`;
}

/** True when the session's user may not create databases (neither CREATEDB nor superuser). */
export async function lacksCreatedb(client: pg.Client): Promise<boolean> {
  const result = await client.query<{ may: boolean }>(
    'SELECT rolcreatedb OR rolsuper AS may FROM pg_catalog.pg_roles WHERE rolname = current_user',
  );
  return result.rows[0]?.may !== true;
}

/** `permission denied to create database` (insufficient_privilege, which other refusals share). */
export function isCreatedbDenied(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === '42501' && /create database/i.test(message ?? '');
}

/** A failed CREATE DATABASE, saying what to grant when that is the reason. */
export function createFailure(settings: ConnectionSettings, what: string, error: unknown): SourceError {
  const reason = isCreatedbDenied(error)
    ? createdbNeed(settings.options.user)
    : settings.redact((error as Error).message);
  return new SourceError(`source "${settings.instance}": cannot create ${what}: ${reason}`, { cause: error });
}
