import { type Command, InvalidArgumentError, Option } from 'commander';
import { daemonCommand } from '../commands/daemon.js';
import { enqueueCommand } from '../commands/enqueue.js';
import { metricsCommand } from '../commands/metrics.js';
import { scheduleCommand } from '../commands/schedule.js';
import { serveCommand } from '../commands/serve.js';
import { workerCommand } from '../commands/worker.js';
import { DEFAULT_LISTEN } from '../serve/listen-options.js';
import { type Run, withArgument, withOptions } from './actions.js';

/** `--listen` (given a default, the server always runs) and `--token-file`, for `serve` and `daemon`. */
function addServeOptions(command: Command, defaultListen?: string): Command {
  const listen = new Option(
    '--listen <host:port>',
    'serve the dashboard (/), /metrics and /api/jobs read-only on this address (off loopback a bearer token is required)',
  );
  return command
    .addOption(defaultListen === undefined ? listen : listen.default(defaultListen))
    .option('--token-file <file>', 'the bearer token every request must carry (else $TRICOPY_SERVE_TOKEN)');
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('a whole number from 1 to 64');
  return n;
}

export function addServe(program: Command, run: Run): void {
  addServeOptions(
    program
      .command('serve')
      .description(
        'read-only HTTP from the catalog: the dashboard at /, Prometheus /metrics, JSON /api/jobs (SIGTERM stops)',
      ),
    DEFAULT_LISTEN,
  ).action(withOptions(run, serveCommand));
}

export function addDaemon(program: Command, run: Run): void {
  addServeOptions(
    program
      .command('daemon')
      .description('run every job on its schedule in the foreground (JSON logs; SIGTERM stops cleanly)'),
  ).action(withOptions(run, daemonCommand));
}

export function addWorker(program: Command, run: Run): void {
  program
    .command('worker')
    .description(
      'fleet mode: run backups (and rotating verification) from the queue in the catalog database until SIGTERM (JSON logs)',
    )
    .option(
      '--concurrency <n>',
      "runs at once in this worker (default: the config's concurrency)",
      positiveInt,
    )
    .action(withOptions(run, workerCommand));
}

export function addEnqueue(program: Command, run: Run): void {
  program
    .command('enqueue')
    .description('fleet mode: queue runs of every job, or the jobs named, for the workers')
    .argument('[jobs...]', 'only these jobs')
    .option('--wait', 'wait for the runs to end; exit with the usual codes')
    .action(withArgument(run, enqueueCommand));
}

export function addMetrics(program: Command, run: Run): void {
  program
    .command('metrics')
    .description(
      "print Prometheus metrics from the catalog (each job's last backup, verification, staleness)",
    )
    .option(
      '--textfile <path>',
      "write them atomically to this .prom file (node_exporter's textfile collector)",
    )
    .action(withOptions(run, metricsCommand));
}

export function addSchedule(program: Command, run: Run): void {
  program
    .command('schedule')
    .description('print crontab lines or systemd units for the configured schedules (or a fleet worker)')
    .addOption(
      new Option('--print <format>', 'what to print')
        .choices(['crontab', 'systemd', 'systemd-daemon', 'systemd-worker'])
        .makeOptionMandatory(),
    )
    .option(
      '--credentials <NAME=PATH,...>',
      'systemd units: the file each ${credential:NAME} of the config is loaded from (default: /etc/credstore/NAME)',
    )
    .action(withOptions(run, scheduleCommand));
}
