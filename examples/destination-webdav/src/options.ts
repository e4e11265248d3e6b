import { z } from 'zod';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export const webdavOptionsSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .describe('URL of the WebDAV folder that holds the copies, e.g. https://nas.lan/dav/backups/'),
    username: z.string().min(1).optional().describe('Login for HTTP Basic authentication'),
    password: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Password for username (secret: reference an environment variable, for example NAS_PASSWORD)',
      ),
    verifyUploads: z
      .boolean()
      .default(true)
      .describe(
        'Read every upload back and hash it before it is renamed into place (one extra download per copy)',
      ),
    allowInsecureHttp: z
      .boolean()
      .default(false)
      .describe(
        'Allow plain http:// to a host other than localhost: the password and the data travel unencrypted',
      ),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(30_000)
      .describe('Time allowed for one request, not counting the transfer of a body'),
    retries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(2)
      .describe('Retries of idempotent requests (PROPFIND, GET, DELETE, MKCOL) after network errors and 5xx'),
  })
  .refine((options) => !new URL(options.url).username && !new URL(options.url).password, {
    message: 'put the credentials in username and password, not in the URL',
    path: ['url'],
  })
  .refine((options) => options.password === undefined || options.username !== undefined, {
    message: 'password is set but username is not',
    path: ['username'],
  })
  .refine(
    (options) => {
      const url = new URL(options.url);
      return url.protocol === 'https:' || options.allowInsecureHttp || LOOPBACK_HOSTS.has(url.hostname);
    },
    {
      message:
        'plain http:// to a remote host sends the password in clear: use https://, or set allowInsecureHttp: true',
      path: ['url'],
    },
  );

export type WebdavOptions = z.output<typeof webdavOptionsSchema>;

/** Options whose values tricopy redacts from logs, errors and the catalog. */
export const secretOptions = ['password'] as const;
