import { UsageError } from '@tricopy/core';

/**
 * How `schedule --print` writes a command into a crontab line or a systemd unit so that cron and systemd run exactly
 * these words. What neither can carry (a newline or another control character) is refused, naming where it is.
 */

/** C0 and C1 control characters and DEL. */
const CONTROL = /\p{Cc}/u;
/** Words neither sh nor systemd reads anything into. */
const PLAIN = /^[\w@+=:,./-]+$/;

/** Refuses a value with a newline or another control character: it would end the line or be read differently. */
export function assertOneLine(value: string, what: string): string {
  if (CONTROL.test(value)) {
    throw new UsageError(
      `${what} ${JSON.stringify(value)} contains a newline or another control character, which a crontab line or a systemd unit cannot hold: rename it`,
    );
  }
  return value;
}

/**
 * The command part of a crontab line: each word quoted for sh, and every `%` (which cron turns into a newline)
 * written `\%` outside the quotes, so that cron hands sh the `%` itself whatever backslashes precede it (crontab(5)).
 */
export function cronCommand(words: readonly string[]): string {
  return words.map(cronWord).join(' ');
}

function cronWord(word: string): string {
  if (PLAIN.test(word)) return word;
  return word
    .split('%')
    .map((piece) => (piece === '' ? '' : `'${piece.replaceAll("'", `'\\''`)}'`))
    .join('\\%')
    .replace(/^$/, "''");
}

/**
 * An ExecStart= value (systemd.service(5), systemd.syntax(7)): the executable, then its arguments, each in double
 * quotes when it needs them, with `\` and `"` escaped, `%` (specifiers) written `%%` and, in arguments, `$`
 * (variable expansion) written `$$`. systemd refuses an executable path holding `\`, `"` or `'`; so does this.
 */
export function systemdExec(words: readonly string[]): string {
  const [executable = '', ...args] = words;
  if (/[\\"']/.test(executable)) {
    throw new UsageError(
      `the tricopy command ${JSON.stringify(executable)} contains a backslash or a quote, which systemd refuses in an executable path: install tricopy in a folder without them`,
    );
  }
  return [systemdWord(executable, false), ...args.map((arg) => systemdWord(arg, true))].join(' ');
}

function systemdWord(word: string, expandsVariables: boolean): string {
  if (PLAIN.test(word)) return word;
  const escaped = word.replace(/[\\"]/g, '\\$&').replaceAll('%', '%%');
  return `"${expandsVariables ? escaped.replaceAll('$', '$$$$') : escaped}"`;
}

/**
 * A value systemd takes as it is apart from specifiers (WorkingDirectory=, Description=): `%` written `%%`. systemd
 * strips whitespace around a value and reads a final `\` as a line continuation: such a value is refused.
 */
export function systemdValue(value: string, what: string): string {
  if (value !== value.trim() || value.endsWith('\\')) {
    throw new UsageError(
      `${what} ${JSON.stringify(value)} starts or ends with a space or ends with a backslash, which a systemd unit cannot hold: rename it`,
    );
  }
  return value.replaceAll('%', '%%');
}
