import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@tricopy/contract';
import {
  type Catalog,
  checkReason,
  describeError,
  fleetStatus,
  jobStatus,
  type LoadedConfig,
  METRICS_CONTENT_TYPE,
  renderMetrics,
} from '@tricopy/core';
import { escapeHtml, fleetPage } from './dashboard.js';
import { jobPage } from './job-page.js';
import type { ListenAddress } from './listen-options.js';

export interface StatusSources {
  readonly catalog: Catalog;
  readonly config: LoadedConfig;
}

export interface StatusServerOptions {
  /** Read on each request, so a daemon's reloaded config is what is served. */
  readonly sources: () => StatusSources;
  readonly token: string | undefined;
  readonly logger: Logger;
}

type Reply = { status: number; type: string; body: string };

const json = (status: number, value: unknown): Reply => ({
  status,
  type: 'application/json; charset=utf-8',
  body: `${JSON.stringify(value, null, 2)}\n`,
});

const html = (status: number, body: string): Reply => ({ status, type: 'text/html; charset=utf-8', body });

/** Read-only HTTP: the dashboard at `/` and `/jobs/NAME`, `/metrics` (Prometheus), `/api/jobs` and `/api/jobs/NAME` (JSON). */
export function createStatusServer(options: StatusServerOptions): Server {
  const digest = options.token === undefined ? undefined : sha256(options.token);
  return createServer((request, response) => {
    void handle(request, options, digest)
      .catch((error: unknown) => {
        options.logger.error(`serve: ${request.url}: ${describeError(error)}`);
        return json(500, { error: 'internal error (see the server log)' });
      })
      .then((reply) => send(response, request, reply));
  });
}

async function handle(
  request: IncomingMessage,
  options: StatusServerOptions,
  digest?: Buffer,
): Promise<Reply> {
  if (digest !== undefined && !authorized(request, digest))
    return json(401, { error: 'a bearer token is required' });
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return json(405, { error: 'read-only: GET only' });
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const sources = options.sources();
  const now = new Date();
  if (path === '/metrics')
    return {
      status: 200,
      type: METRICS_CONTENT_TYPE,
      body: await renderMetrics(await fleetStatus(sources, now)),
    };
  if (path === '/api/jobs') return json(200, { jobs: await fleetStatus(sources, now) });
  if (path === '/') return html(200, await fleetPage(await fleetStatus(sources, now), sources.catalog, now));
  const page = /^\/jobs\/([^/]+)$/.exec(path)?.[1];
  if (page !== undefined) {
    const name = decodeURIComponent(page);
    if (!sources.config.jobs.has(name)) return html(404, `<p>no job ${escapeHtml(name)} in the config</p>`);
    return html(200, await jobPage(await jobStatus(sources, name, now), sources.catalog, now));
  }
  const job = /^\/api\/jobs\/([^/]+)$/.exec(path)?.[1];
  if (job !== undefined) return jobReply(sources, decodeURIComponent(job), now);
  return json(404, { error: `no such page: ${path} (try /metrics, /api/jobs)` });
}

async function jobReply(sources: StatusSources, job: string, now: Date): Promise<Reply> {
  if (!sources.config.jobs.has(job)) return json(404, { error: `no job "${job}" in the config` });
  const rows = await sources.catalog.listBackups({ job });
  const backups = await Promise.all(
    rows.map(async (b) => ({
      backupId: b.id,
      status: b.status,
      startedAt: b.startedAt,
      finishedAt: b.finishedAt,
      size: b.size,
      sha256: b.sha256,
      prunedAt: b.prunedAt,
      flagged: b.flagged,
      error: b.error,
      copies: (await sources.catalog.listCopies(b.id)).map((c) => ({
        destination: c.destination,
        status: c.status,
        size: c.size,
        sha256: c.sha256,
        updatedAt: c.updatedAt,
        error: c.error,
      })),
      verifications: (await sources.catalog.listVerifications(b.id)).map((v) => ({
        destination: v.destination,
        level: v.level,
        status: v.status,
        checkedAt: v.checkedAt,
        reason: v.status === 'ok' ? null : checkReason(v),
      })),
    })),
  );
  return json(200, { ...(await jobStatus(sources, job, now)), backups });
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares digests, equal in length whatever was sent, in constant time. */
function authorized(request: IncomingMessage, digest: Buffer): boolean {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer (.+)$/i.exec(header);
  return match !== null && timingSafeEqual(sha256((match[1] as string).trim()), digest);
}

function send(response: ServerResponse, request: IncomingMessage, reply: Reply): void {
  response.writeHead(reply.status, {
    'content-type': reply.type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...(reply.status === 401 ? { 'www-authenticate': 'Bearer realm="tricopy"' } : {}),
  });
  response.end(request.method === 'HEAD' ? undefined : reply.body);
}

/** Starts listening; a port in use or an address this host lacks is a clear error, not a stack trace. */
export function listen(server: Server, address: ListenAddress): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE'
          ? 'the port is already in use (another tricopy serve or daemon?); choose another with --listen HOST:PORT'
          : error.code === 'EADDRNOTAVAIL'
            ? 'this host has no such address'
            : error.code === 'EACCES'
              ? 'permission denied (ports below 1024 need privileges)'
              : error.message;
      reject(new Error(`cannot listen on ${address.host}:${address.port}: ${why}`));
    };
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      const bound = server.address() as AddressInfo;
      resolve({ host: bound.address, port: bound.port });
    });
  });
}

/** Stops accepting, and ends open keep-alive connections so the process can exit. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function urlOf(address: ListenAddress): string {
  return `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}
