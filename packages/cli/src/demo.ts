import { link, lstat, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createFileExclusive, tempPathBeside } from '@tricopy/contract';
import Database from 'better-sqlite3';

/** A small shop database for the quick start: customers, products and orders with a view and an index. */
export function createDemoDatabase(path: string, orders = 20_000): void {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(`
      CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, country TEXT);
      CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT UNIQUE NOT NULL, title TEXT NOT NULL, price_cents INTEGER NOT NULL);
      CREATE TABLE orders (
        id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
        product_id INTEGER NOT NULL REFERENCES products(id), quantity INTEGER NOT NULL, placed_at TEXT NOT NULL);
      CREATE INDEX orders_customer ON orders(customer_id);
      CREATE VIEW revenue_by_country AS
        SELECT c.country, SUM(o.quantity * p.price_cents) AS cents
        FROM orders o JOIN customers c ON c.id = o.customer_id JOIN products p ON p.id = o.product_id
        GROUP BY c.country;
    `);
    const countries = ['DE', 'FR', 'JP', 'BR', 'US', 'KE', 'IN', 'NZ'];
    db.transaction(() => {
      const customer = db.prepare('INSERT INTO customers (name, email, country) VALUES (?, ?, ?)');
      for (let i = 1; i <= 500; i++)
        customer.run(`Customer ${i}`, `c${i}@example.org`, countries[i % countries.length]);
      const product = db.prepare('INSERT INTO products (sku, title, price_cents) VALUES (?, ?, ?)');
      for (let i = 1; i <= 200; i++) product.run(`SKU-${1000 + i}`, `Product ${i}`, 199 + ((i * 37) % 5000));
      const order = db.prepare(
        'INSERT INTO orders (customer_id, product_id, quantity, placed_at) VALUES (?, ?, ?, ?)',
      );
      const start = Date.UTC(2025, 0, 1);
      for (let i = 1; i <= orders; i++) {
        order.run(
          1 + (i % 500),
          1 + ((i * 7) % 200),
          1 + (i % 5),
          new Date(start + i * 600_000).toISOString(),
        );
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** Three local destinations, one of them standing in for the copy you carry offsite. */
export const DEMO_CONFIG = `# tricopy demo: a SQLite database backed up to three local folders.
# In real use, "offsite" would be an s3 or sftp destination; here a folder stands in for it.
destinations:
  primary:
    type: local
    path: ./backups/primary
  usb:
    type: local
    path: ./backups/usb
    media: removable
  offsite:
    type: local
    path: ./backups/offsite
    media: removable-offsite
    offsite: true
jobs:
  shop:
    source:
      type: sqlite
      path: ./shop.db
    destinations: [primary, usb, offsite]
    compression: gzip
policy: { copies: 3, media: 2, offsite: 1, enforce: warn }
`;

export async function writeDemo(dir: string): Promise<{ config: string; database: string }> {
  const root = resolve(dir);
  await mkdir(join(root, 'backups'), { recursive: true, mode: 0o700 });
  const database = join(root, 'shop.db');
  const config = join(root, 'tricopy.yaml');
  await keepIfThere(createDemoDatabaseAt(database));
  await keepIfThere(createFileExclusive(config, DEMO_CONFIG));
  return { config, database };
}

/** The demo database, built under a new random name beside `path` and linked into place only if nothing is there. */
async function createDemoDatabaseAt(path: string): Promise<void> {
  if (
    await lstat(path).then(
      () => true,
      () => false,
    )
  )
    return;
  const temp = tempPathBeside(path);
  try {
    // An empty file of ours (never a symlink someone planted) for SQLite to fill.
    await createFileExclusive(temp, '');
    createDemoDatabase(temp);
    await link(temp, path);
  } finally {
    await Promise.all(['', '-wal', '-shm'].map((side) => rm(temp + side, { force: true })));
  }
}

/** What is already there (a demo from an earlier run, or the user's own file) is left as it is. */
async function keepIfThere(creating: Promise<void>): Promise<void> {
  await creating.catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  });
}
