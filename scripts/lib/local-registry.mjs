// A read-only npm registry for the packed tarballs in a folder, so `npm install -g tricopy-<v>.tgz` fetches
// tricopy's own @tricopy/* dependencies from them exactly as it would from the npm registry once they are published.
// Usage: node local-registry.mjs TARBALL_DIR  (prints the registry URL on stdout, serves until killed)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: node local-registry.mjs TARBALL_DIR\n');
  process.exit(2);
}

/** name → { manifest, file } for every tarball in the folder. */
const packages = new Map();
for (const file of readdirSync(dir).filter((f) => f.endsWith('.tgz'))) {
  const path = join(dir, file);
  const manifest = JSON.parse(
    execFileSync('tar', ['-xzOf', path, 'package/package.json'], { encoding: 'utf8' }),
  );
  packages.set(manifest.name, { manifest, path, file });
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://registry');
  const tarball = url.pathname.match(/^\/-\/(.+\.tgz)$/);
  if (tarball) {
    const entry = [...packages.values()].find((p) => p.file === tarball[1]);
    if (entry === undefined) return response.writeHead(404).end();
    return response
      .writeHead(200, { 'content-type': 'application/octet-stream' })
      .end(readFileSync(entry.path));
  }
  const entry = packages.get(decodeURIComponent(url.pathname.slice(1)));
  if (entry === undefined) return response.writeHead(404, { 'content-type': 'application/json' }).end('{}');
  const bytes = readFileSync(entry.path);
  const { manifest } = entry;
  const version = {
    ...manifest,
    dist: {
      tarball: `http://${request.headers.host}/-/${entry.file}`,
      integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
      shasum: createHash('sha1').update(bytes).digest('hex'),
    },
  };
  const packument = {
    name: manifest.name,
    'dist-tags': { latest: manifest.version },
    versions: { [manifest.version]: version },
  };
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument));
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`http://127.0.0.1:${server.address().port}/\n`);
});
