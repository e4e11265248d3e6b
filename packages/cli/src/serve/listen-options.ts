import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { UsageError } from '@tricopy/core';

export const DEFAULT_LISTEN = '127.0.0.1:9187';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** `HOST:PORT`, `[::1]:PORT` or `:PORT` (all interfaces); port 0 picks a free one. */
export function parseListen(value: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  if (match === null || port > 65_535)
    throw new UsageError(`--listen ${value}: expected HOST:PORT, e.g. ${DEFAULT_LISTEN} or [::1]:9187`);
  const host = match[1] ?? (match[2] || '0.0.0.0');
  return { host, port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/**
 * The bearer token every request must carry: `--token-file FILE` (its first line), else `TRICOPY_SERVE_TOKEN`.
 * Off loopback there must be one: anyone on the network could otherwise read what the fleet holds.
 */
export async function serveToken(
  address: ListenAddress,
  tokenFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  let token: string | undefined;
  if (tokenFile !== undefined) {
    const text = await readFile(tokenFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(
        `--token-file ${tokenFile}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
      );
    });
    token = text.split('\n')[0]?.trim();
    if (!token) throw new UsageError(`--token-file ${tokenFile} is empty`);
  } else if (env.TRICOPY_SERVE_TOKEN) token = env.TRICOPY_SERVE_TOKEN;
  if (token === undefined && !isLoopback(address.host))
    throw new UsageError(
      `--listen ${address.host}:${address.port} is not a loopback address: set a bearer token with TRICOPY_SERVE_TOKEN or --token-file FILE`,
    );
  return token;
}
