export { type MariadbServer, quoteMysqlIdent, type StartMariadbOptions, startMariadb } from './mariadb.js';
export { type DataDirServer, startPostgresOnDataDir } from './pg-data-dir.js';
export { osUserIds, PG_OS_USER, runningAsRoot } from './pg-os-user.js';
export { makeTestCertificates, type TestCertificates } from './pg-tls.js';
export { freePort } from './ports.js';
export { type PostgresServer, quotePgIdent, type StartPostgresOptions, startPostgres } from './postgres.js';
export {
  descendantsOf,
  findProcesses,
  listProcesses,
  type ProcessEntry,
  waitForProcess,
} from './processes.js';
export { type S3Server, startS3 } from './s3.js';
export { type SshdServer, startSshd } from './sshd.js';
export { makeTempDir } from './temp-dir.js';
