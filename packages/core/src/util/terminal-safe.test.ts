import { describe, expect, it } from 'vitest';
import { terminalSafe } from './terminal-safe.js';

describe('terminalSafe', () => {
  it.each([
    ['an ANSI escape', 'job\u001b[2J\u001b]0;pwned\u0007', 'job\\x1b[2J\\x1b]0;pwned\\x07'],
    ['a C1 CSI and DEL', 'a\u009b31mb\u007f', 'a\\x9b31mb\\x7f'],
    ['a carriage return', 'ok\rFAILED', 'ok\\x0dFAILED'],
    ['a bidi override and isolate', 'x\u202ecod.exe\u2066', 'x\\u202ecod.exe\\u2066'],
    ['a line separator', 'a\u2028b', 'a\\u2028b'],
  ])('shows %s as visible escapes', (_what, input, shown) => expect(terminalSafe(input)).toBe(shown));

  it('keeps newlines, tabs and ordinary text, accents and emoji included', () => {
    const text = 'backup\tok\nété — 20261122T020837Z-07b3f2 ✓';
    expect(terminalSafe(text)).toBe(text);
  });
});
