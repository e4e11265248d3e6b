import { realpathSync } from 'node:fs';
import { basename } from 'node:path';

/**
 * The command (as words) that runs this same tricopy from cron or systemd, whose PATH may hold another (older)
 * Node: the repository's ./tricopy launcher when it started us (it pins the Node that setup chose), else this Node
 * with the installed `tricopy` bin or the CLI script it was started as.
 */
export function selfCommand(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv,
): string[] {
  const launcher = env.TRICOPY_LAUNCHER;
  if (launcher !== undefined && launcher !== '') return [launcher];
  const invoked = argv[1];
  if (invoked === undefined) return ['tricopy'];
  const script = basename(invoked) === 'tricopy' ? invoked : realpathSync(invoked);
  return [process.execPath, script];
}
