export { freePort } from './ports.js';
export { makeTempDir } from './temp-dir.js';
export { startPostgres, type PostgresServer } from './postgres.js';
export { startMariadb, type MariadbServer } from './mariadb.js';
export { startSshd, type SshdServer } from './sshd.js';
export { startS3, type S3Server } from './s3.js';
