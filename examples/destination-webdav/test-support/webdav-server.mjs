// A throwaway WebDAV server for tests: webdav-server v2 over a real folder, HTTP Basic auth, loopback only.
// Run as a child process: `node webdav-server.mjs ROOT_DIR`, with WEBDAV_USER and WEBDAV_PASSWORD in the
// environment (never in argv). Prints one JSON line {"port":N} on stdout when it listens; SIGTERM stops it.
import { fstatSync } from 'node:fs';
import webdavServer from 'webdav-server';

const { v2: webdav } = webdavServer;
const root = process.argv[2];
const username = process.env.WEBDAV_USER;
const password = process.env.WEBDAV_PASSWORD;
if (!root || !username || !password) {
  process.stderr.write('usage: WEBDAV_USER=u WEBDAV_PASSWORD=p node webdav-server.mjs ROOT_DIR\n');
  process.exit(2);
}

const users = new webdav.SimpleUserManager();
const user = users.addUser(username, password, false);
const privileges = new webdav.SimplePathPrivilegeManager();
privileges.setRights(user, '/', ['all']);

const server = new webdav.WebDAVServer({
  hostname: '127.0.0.1',
  port: 0,
  requireAuthentification: true,
  httpAuthentication: new webdav.HTTPBasicAuthentication(users, 'tricopy-test'),
  privilegeManager: privileges,
  rootFileSystem: new webdav.PhysicalFileSystem(root),
});

server.start((http) => {
  process.stdout.write(`${JSON.stringify({ port: http.address().port })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.stop(() => process.exit(0)));
}
// Started with a pipe as stdin (as the tests do), exit when the parent goes away, even if it was SIGKILLed.
if (fstatSync(0).isFIFO()) {
  process.stdin.on('end', () => server.stop(() => process.exit(0)));
  process.stdin.resume();
}
