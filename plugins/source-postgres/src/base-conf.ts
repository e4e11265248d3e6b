import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileExclusive, type RecoverySettings } from '@tricopy/contract';

/** A string literal for postgresql.conf: single quotes, a quote doubled, a backslash escaped. */
export function confString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/** The postgresql.auto.conf lines that make a started server replay archived WAL to the target, then promote. */
export function recoveryLines(recovery: RecoverySettings): string[] {
  if (/[\n\r\0]/.test(recovery.restoreCommand)) {
    throw new TypeError('restore_command must be one line');
  }
  return [
    `restore_command = ${confString(recovery.restoreCommand)}`,
    ...(recovery.targetTime === undefined
      ? []
      : [`recovery_target_time = ${confString(recovery.targetTime)}`]),
    ...(recovery.targetName === undefined
      ? []
      : [`recovery_target_name = ${confString(recovery.targetName)}`]),
    "recovery_target_action = 'promote'",
    "recovery_target_timeline = 'latest'",
  ];
}

/** Appends settings to DIR/postgresql.auto.conf (created when missing; never through a symlink). */
export async function appendAutoConf(
  dataDir: string,
  comment: string,
  lines: readonly string[],
): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
  const file = await open(join(dataDir, 'postgresql.auto.conf'), flags, 0o600);
  try {
    await file.appendFile(`\n# ${comment}\n${lines.join('\n')}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Writes the recovery settings and the empty recovery.signal that asks the server to use them. */
export async function writeRecovery(dataDir: string, recovery: RecoverySettings): Promise<void> {
  await appendAutoConf(dataDir, 'recovery settings written by tricopy restore', recoveryLines(recovery));
  await createFileExclusive(join(dataDir, 'recovery.signal'), '');
}
