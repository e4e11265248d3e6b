import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export interface TestCertificates {
  /** CA certificate that signed the server certificate (for sslrootcert / ssl-ca). */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1 / localhost, made with openssl in `dir`. */
export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const file = (name: string) => join(dir, name);
  const openssl = (args: string[]) => execa('openssl', args, { cwd: dir });
  await openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=tricopy-test-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  ]);
  await openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  ]);
  await writeFile(file('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.crt',
  ]);
  return { caFile: file('ca.crt'), certFile: file('server.crt'), keyFile: file('server.key') };
}
