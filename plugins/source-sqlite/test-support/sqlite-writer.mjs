// Test helper: inserts rows into table t of a WAL database continuously, in small transactions, until SIGTERM.
// Prints "ready" after its first commit.
import Database from 'better-sqlite3';

const db = new Database(process.argv[2], { timeout: 10_000 });
db.pragma('journal_mode = WAL');
const insert = db.prepare('INSERT INTO t (payload) VALUES (?)');
const batch = db.transaction(() => {
  for (let i = 0; i < 20; i++) insert.run(Buffer.alloc(300, i));
});
let announced = false;
function loop() {
  batch();
  if (!announced) {
    announced = true;
    process.stdout.write('ready\n');
  }
  setImmediate(loop);
}
process.on('SIGTERM', () => {
  db.close();
  process.exit(0);
});
loop();
