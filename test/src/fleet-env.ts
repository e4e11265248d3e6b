import Database from 'better-sqlite3';
import { execa } from 'execa';

/** Helpers for the metrics, staleness and serve tests: a SQLite job with local destinations, and reading metrics. */

/** The value of one series in a Prometheus text exposition, or undefined when the series is absent. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

export async function promtoolAvailable(): Promise<boolean> {
  const found = await execa('promtool', ['--version'], { reject: false });
  return found.exitCode === 0;
}

export function makeSqliteDatabase(path: string): void {
  const db = new Database(path);
  db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)');
  db.prepare('INSERT INTO items (name) VALUES (?)').run('first');
  db.close();
}

/** Adds ROWS rows of distinct text, so that the next backup is larger. */
export function growSqliteDatabase(path: string, rows: number): void {
  const db = new Database(path);
  const insert = db.prepare('INSERT INTO items (name) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`item ${i} ${'x'.repeat(i % 97)}`);
  })();
  db.close();
}

export const FLEET_CONFIG = `
destinations:
  primary: { type: local, path: ./dest/primary, fsync: false }
  usb: { type: local, path: ./dest/usb, media: removable, fsync: false }
jobs:
  app:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary, usb]
    maxAge: 26h
  never:
    source: { type: sqlite, path: ./app.db }
    destinations: [primary]
policy: { copies: 2, media: 2, offsite: 0, maxAge: 1h }
`;
