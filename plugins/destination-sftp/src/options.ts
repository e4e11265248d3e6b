import { z } from 'zod';

/** `SHA256:` + unpadded base64 of the key's sha256, as `ssh-keygen -l` prints it. */
export const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

export const sftpOptionsSchema = z
  .strictObject({
    host: z.string().min(1).describe('SSH server name or address'),
    port: z.number().int().min(1).max(65_535).default(22).describe('SSH port'),
    username: z.string().min(1).describe('Login user'),
    privateKey: z
      .string()
      .min(1)
      .optional()
      .describe('Path of the private key file (OpenSSH format), relative to the config file'),
    privateKeyPassphrase: z
      .string()
      .min(1)
      .optional()
      .describe('Passphrase of privateKey (secret: reference an environment variable)'),
    password: z
      .string()
      .min(1)
      .optional()
      .describe('Password login, when no key is used (secret: reference an environment variable)'),
    path: z
      .string()
      .min(1)
      .describe('Remote folder that holds the copies (absolute, or relative to the login folder)'),
    hostKey: z
      .string()
      .regex(FINGERPRINT_PATTERN, 'expected SHA256:... as `ssh-keygen -l -f <host key>.pub` prints it')
      .optional()
      .describe("Pinned fingerprint of the server's host key, as `ssh-keygen -l` prints it (SHA256:...)"),
    insecureAcceptAnyHostKey: z
      .boolean()
      .default(false)
      .describe('Accept any host key (no protection against a man in the middle). Tests only.'),
    connectTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(20_000)
      .describe('Time allowed for TCP connect, handshake and login'),
    operationTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(60_000)
      .describe(
        'Time allowed for one request (stat, list, rename...) and for a silent connection (keepalive)',
      ),
    retries: z
      .number()
      .int()
      .min(0)
      .max(10)
      .default(3)
      .describe(
        'Retries with backoff of idempotent operations after network errors (connect, stat, list, delete, get)',
      ),
  })
  .refine((options) => options.privateKey !== undefined || options.password !== undefined, {
    message: 'set privateKey (a key file) or password',
    path: ['privateKey'],
  })
  .refine((options) => !(options.hostKey !== undefined && options.insecureAcceptAnyHostKey), {
    message: 'hostKey and insecureAcceptAnyHostKey: true contradict each other; keep hostKey',
    path: ['insecureAcceptAnyHostKey'],
  });

export type SftpOptions = z.output<typeof sftpOptionsSchema>;

export const secretOptions = ['password', 'privateKeyPassphrase'] as const;
