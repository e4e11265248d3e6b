import { resolve } from 'node:path';
import {
  createJsonLogger,
  cronToOnCalendar,
  type JobSpec,
  type LoadedConfig,
  UsageError,
  validateCron,
} from '@tricopy/core';
import { type GlobalOptions, openConfig } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson } from '../output.js';
import { credentialPaths, credentialWarnings, loadCredentialLines } from '../schedule-credentials.js';
import { assertOneLine, cronCommand, systemdExec, systemdValue } from '../schedule-quoting.js';
import { selfCommand } from '../self-command.js';

export interface ScheduleOptions extends GlobalOptions {
  print: string;
  /** `NAME=PATH,...`: where systemd loads the config's `${credential:NAME}`s from. */
  credentials?: string;
}

/** Prints ready-to-install crontab lines or systemd units for the configured schedules. */
export async function scheduleCommand(options: ScheduleOptions): Promise<number> {
  const config = await openConfig(options);
  const command = tricopyCommand(config, options.envFile);
  assertOneLine(config.dir, 'the config folder');
  if (options.credentials !== undefined && !options.print.startsWith('systemd')) {
    throw new UsageError('--credentials: only systemd units load credentials (--print systemd…)');
  }
  const unit: Unit = {
    command,
    credentials: loadCredentialLines(config, credentialPaths(options.credentials, config)),
  };
  if (options.print === 'systemd-worker')
    return printText(options, config, workerUnit(config, unit), envWarnings(config, options.envFile));
  const jobs = [...config.jobs.values()].filter((j) => j.schedule !== undefined);
  if (jobs.length === 0) throw new UsageError('no job has a schedule: add `schedule: "0 3 * * *"` to a job');
  for (const job of jobs) {
    const problem = validateCron(job.schedule as string, job.timezone);
    if (problem !== undefined)
      throw new UsageError(`jobs.${job.name}.schedule "${job.schedule}": ${problem}`);
  }
  let text: string;
  let warnings: string[] = [];
  switch (options.print) {
    case 'crontab':
      ({ text, warnings } = crontab(config, command));
      break;
    case 'systemd':
      ({ text, warnings } = systemdTimers(config, unit));
      break;
    case 'systemd-daemon':
      text = daemonUnit(config, unit);
      break;
    default:
      throw new UsageError(
        `--print ${options.print}: expected crontab, systemd, systemd-daemon or systemd-worker`,
      );
  }
  return printText(options, config, text, [
    ...warnings,
    ...envWarnings(config, options.envFile),
    ...credentialWarnings(config, options.print),
  ]);
}

/** What every printed unit runs: the tricopy command, and the credentials it loads (`LoadCredential=` lines). */
interface Unit {
  readonly command: readonly string[];
  readonly credentials: string;
}

/** Cron and systemd start tricopy with a bare environment: the config's `${VAR}`s need an env file there. */
function envWarnings(config: LoadedConfig, envFile: string | undefined): string[] {
  if (envFile !== undefined || config.variables.length === 0) return [];
  const names = config.variables.map((name) => `\${${name}}`).join(', ');
  return [
    `the config uses ${names}, which cron's and systemd's bare environment will not have: print the entries again with --env-file FILE (docs/operations.md, "Secrets under cron and systemd")`,
  ];
}

function printText(
  options: ScheduleOptions,
  config: LoadedConfig,
  text: string,
  warnings: readonly string[],
): number {
  if (options.json) printJson({ format: options.print, text, warnings });
  else {
    process.stdout.write(text);
    printWarnings(warnings, config, options);
  }
  return EXIT.ok;
}

function printWarnings(warnings: readonly string[], config: LoadedConfig, options: ScheduleOptions): void {
  if (options.logFormat !== 'json') {
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    return;
  }
  const logger = createJsonLogger('warn', config.redactor);
  for (const warning of warnings) logger.warn(warning);
}

/**
 * The words that run tricopy with this config. Generated entries name the env file (absolute) so cron's and
 * systemd's bare environment still fill `${VAR}`.
 */
function tricopyCommand(config: LoadedConfig, envFile: string | undefined): string[] {
  const self = selfCommand().map((word) => assertOneLine(word, 'the tricopy command'));
  const withConfig = [...self, '--config', assertOneLine(config.file, 'the config path')];
  if (envFile === undefined) return withConfig;
  return [...withConfig, '--env-file', assertOneLine(resolve(envFile), 'the env file path')];
}

/** A job's schedule as one line: its fields separated by single spaces. */
function scheduleLine(job: JobSpec): string {
  return assertOneLine(job.schedule as string, `jobs.${job.name}.schedule`)
    .trim()
    .split(/\s+/)
    .join(' ');
}

/**
 * Crontab lines for the jobs cron can run as written. A job with a time zone is left out (a comment says why):
 * Debian's cron (3.0pl1) ignores `CRON_TZ`, and crons that honour it apply it to every later line as well.
 */
function crontab(config: LoadedConfig, command: readonly string[]): { text: string; warnings: string[] } {
  const lines = [
    '# tricopy: scheduled backups (install with: crontab -e, or a file in /etc/cron.d with a user field)',
  ];
  const warnings: string[] = [];
  for (const job of config.jobs.values()) {
    if (job.schedule === undefined) continue;
    const schedule = scheduleLine(job);
    const refusal = notForCron(job, schedule);
    if (refusal !== undefined) {
      warnings.push(`job ${job.name}: ${refusal}`);
      lines.push(`# job ${job.name} is not here: ${refusal}`);
      continue;
    }
    lines.push(`${schedule} ${cronCommand([...command, '--quiet', 'backup', job.name])}`);
  }
  return { text: `${lines.join('\n')}\n`, warnings };
}

/** Why cron cannot run this job on its schedule, if it cannot. */
function notForCron(job: JobSpec, schedule: string): string | undefined {
  if (schedule.split(' ').length === 6) {
    return `"${schedule}" has a seconds field, which cron lacks; use tricopy daemon`;
  }
  if (job.timezone !== undefined) {
    return `its time zone ${job.timezone} cannot be given to cron (Debian's cron ignores CRON_TZ and runs every line in the system's time zone); use tricopy schedule --print systemd (OnCalendar= carries the time zone) or tricopy daemon`;
  }
  return undefined;
}

function systemdTimers(config: LoadedConfig, unit: Unit): { text: string; warnings: string[] } {
  const parts: string[] = [];
  const warnings: string[] = [];
  for (const job of config.jobs.values()) {
    if (job.schedule === undefined) continue;
    const converted = cronToOnCalendar(job.schedule, job.timezone);
    if (!converted.ok) {
      warnings.push(
        `job ${job.name}: ${converted.reason}; run it with the daemon instead (tricopy schedule --print systemd-daemon)`,
      );
      continue;
    }
    parts.push(
      `# /etc/systemd/system/tricopy-${job.name}.service
[Unit]
Description=tricopy backup of job ${job.name}
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
WorkingDirectory=${systemdValue(config.dir, 'the config folder')}
${unit.credentials}ExecStart=${systemdExec([...unit.command, '--log-format', 'json', 'backup', job.name])}
${job.timeoutMs === undefined ? '' : `TimeoutStartSec=${Math.ceil(job.timeoutMs / 1000) + 60}\n`}Nice=10
IOSchedulingClass=best-effort
IOSchedulingPriority=7

# /etc/systemd/system/tricopy-${job.name}.timer
[Unit]
Description=tricopy schedule of job ${job.name} (cron: ${systemdValue(scheduleLine(job), `jobs.${job.name}.schedule`)})

[Timer]
OnCalendar=${converted.value}
Persistent=true
RandomizedDelaySec=30

[Install]
WantedBy=timers.target
`,
    );
  }
  const names = [...config.jobs.values()]
    .filter((j) => j.schedule !== undefined)
    .map((j) => `tricopy-${j.name}.timer`);
  parts.push(`# then: systemctl daemon-reload && systemctl enable --now ${names.join(' ')}\n`);
  return { text: parts.join('\n'), warnings };
}

function daemonUnit(config: LoadedConfig, unit: Unit): string {
  const what =
    config.catalogUrl === undefined
      ? 'runs every job on its schedule'
      : "queues every job's scheduled runs for the workers; any number may run";
  return `# /etc/systemd/system/tricopy.service
[Unit]
Description=tricopy backup daemon (${what})
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
WorkingDirectory=${systemdValue(config.dir, 'the config folder')}
${unit.credentials}ExecStart=${systemdExec([...unit.command, 'daemon'])}
# systemctl reload: the daemon reads its config again (an invalid one is logged and the current one kept).
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=30
# SIGTERM stops scheduling and aborts running backups cleanly; give them time to clean up.
KillSignal=SIGTERM
TimeoutStopSec=120
Nice=10

[Install]
WantedBy=multi-user.target
# then: systemctl daemon-reload && systemctl enable --now tricopy.service
`;
}

/** A fleet worker (docs/fleet.md): SIGTERM lets its running backups finish; what systemd kills later runs again elsewhere. */
function workerUnit(config: LoadedConfig, unit: Unit): string {
  return `# /etc/systemd/system/tricopy-worker.service
[Unit]
Description=tricopy fleet worker (runs backups from the queue in the catalog database)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
WorkingDirectory=${systemdValue(config.dir, 'the config folder')}
${unit.credentials}ExecStart=${systemdExec([...unit.command, 'worker'])}
Restart=on-failure
RestartSec=30
# SIGTERM: no new runs, the running ones finish. A run still going when systemd gives up (SIGKILL) is noticed by
# its missing heartbeat and runs again on another worker.
KillSignal=SIGTERM
TimeoutStopSec=1h
Nice=10

[Install]
WantedBy=multi-user.target
# then: systemctl daemon-reload && systemctl enable --now tricopy-worker.service
`;
}
