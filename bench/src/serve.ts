/**
 * The bench's servers kept running for paired whole-process runs of the CLI: a PostgreSQL table, OpenSSH sshd and
 * s3rver, and a tricopy config in <dir> with the bench's jobs plus one S3-only and one 3-destination job per
 * `--s3 queueSize:partSizeMiB` variant (e.g. `s3-q2-p8`, `fanout-q2-p8`). `<dir>/env` holds the secrets the config
 * reads. With --shape the ports are shaped as in `pnpm bench --network`: run it inside a namespace
 * (`ip netns exec NAME node dist/serve.js …`), and the CLI there too. Runs until SIGTERM or SIGINT.
 *
 *   node dist/serve.js <dir> [--mib 300] [--shape] [--s3 2:8,1:8,2:5]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDestinations } from './destinations.js';
import { postgresEngine } from './engines/postgres.js';
import { shapePorts } from './network.js';

const MiB = 2 ** 20;

function variantJobs(variants: string[], sourceYaml: string, dest: { s3Line: string }): string {
  let destinations = '';
  let jobs = '';
  for (const variant of variants) {
    const [queue, part] = variant.split(':').map(Number);
    if (!Number.isInteger(queue) || !Number.isInteger(part))
      throw new Error(`--s3 ${variant}: want QUEUE:PART_MiB`);
    const name = `q${queue}-p${part}`;
    destinations += `  cloud-${name}: ${dest.s3Line.replace(/ }$/, `, queueSize: ${queue}, partSize: ${(part as number) * MiB} }`)}\n`;
    jobs += `  s3-${name}: { source: ${sourceYaml}, destinations: [cloud-${name}] }\n`;
    jobs += `  fanout-${name}: { source: ${sourceYaml}, destinations: [local, nas, cloud-${name}] }\n`;
  }
  return `${destinations}jobs:\n${jobs}`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { mib: { type: 'string', default: '300' }, shape: { type: 'boolean' }, s3: { type: 'string' } },
  });
  const dir = positionals[0];
  if (dir === undefined) throw new Error('usage: serve.js <dir> [--mib 300] [--shape] [--s3 2:8,1:8]');
  await mkdir(dir, { recursive: true });
  const destinations = await startDestinations(dir);
  const db = await postgresEngine.prepare(Number(values.mib) * MiB, dir);
  try {
    if (values.shape)
      await shapePorts({ sftp: destinations.sshd.port, s3: Number(new URL(destinations.s3.endpoint).port) });
    const s3Line = /^ {2}cloud: (.*)$/m.exec(destinations.yaml)?.[1] ?? '';
    const variants =
      values.s3 === undefined ? '' : variantJobs(values.s3.split(','), db.sourceYaml, { s3Line });
    const [head, tail] = variants.split('jobs:\n');
    await writeFile(
      join(dir, 'tricopy.yaml'),
      `${destinations.yaml}${head ?? ''}jobs:
  fanout: { source: ${db.sourceYaml}, destinations: [local, nas, cloud] }
  single: { source: ${db.sourceYaml}, destinations: [local] }
  sftp: { source: ${db.sourceYaml}, destinations: [nas] }
${tail ?? ''}catalog: ${JSON.stringify(join(dir, 'catalog.db'))}
workDir: ${JSON.stringify(join(dir, 'work'))}
retries: { attempts: 0 }
`,
    );
    const env = { ...destinations.env, ...db.env };
    await writeFile(
      join(dir, 'env'),
      Object.entries(env)
        .map(([name, value]) => `export ${name}='${value}'\n`)
        .join(''),
      { mode: 0o600 },
    );
    process.stderr.write(
      `ready: ${join(dir, 'tricopy.yaml')} (${db.description}); secrets in ${join(dir, 'env')}\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve).once('SIGINT', resolve);
    });
  } finally {
    await db.close();
    await destinations.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`serve: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
