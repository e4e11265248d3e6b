/**
 * Characters a terminal interprets rather than shows: C0 controls (but newline and tab), DEL, C1 controls, the
 * bidirectional overrides and isolates that reorder what is shown, and the Unicode line and paragraph separators.
 */
const UNSAFE = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/**
 * The text as it may reach a terminal: every character a terminal would interpret (an escape sequence from a forged
 * job name, a bidi override) is shown as a visible escape such as `\x1b` or `\u202e`. Applied only where text is
 * written out, never to stored data.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (char) => {
    if (char === '\n' || char === '\t') return char;
    const code = char.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
