import type { Command, OptionValues } from 'commander';

/** Receives each command's action, so the caller maps results and errors to exit codes in one place. */
export type Run = (action: () => Promise<number>) => Promise<void>;

/** The action of a command without arguments: the handler gets the command's options with the global ones. */
export function withOptions<O extends OptionValues>(run: Run, handler: (options: O) => Promise<number>) {
  return (_options: OptionValues, command: Command) => run(() => handler(command.optsWithGlobals<O>()));
}

/** The action of a command with one argument (or one variadic argument). */
export function withArgument<T, O extends OptionValues>(
  run: Run,
  handler: (argument: T, options: O) => Promise<number>,
) {
  return (argument: T, _options: OptionValues, command: Command) =>
    run(() => handler(argument, command.optsWithGlobals<O>()));
}
