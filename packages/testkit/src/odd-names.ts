/**
 * Table names (→ a row count to give them) that every source must list with their exact count: a newline, a tab, a
 * backslash, quotes, a backquote, spaces, non-ASCII letters and SQL comment syntax. Every engine tricopy supports
 * accepts them as quoted identifiers.
 */
export const ODD_TABLE_NAMES: Readonly<Record<string, number>> = {
  'new\nline': 3,
  'tab\there': 2,
  'back\\slash': 4,
  "quote'single": 1,
  'quote"double': 5,
  'back`tick': 6,
  ' two  spaces': 7,
  'ünïcødé ✓': 8,
  '-- comment; DROP': 9,
};
