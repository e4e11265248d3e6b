import { readFile } from 'node:fs/promises';
import { resolveConfigPath } from '@tricopy/contract';
import type { EncryptionConfig, Policy } from './schema.js';
import type { JobEncryption } from './specs.js';

/**
 * The recipients of an `encryption` block (at `where`), from its list and its file; every malformed one is a
 * problem naming its key.
 */
export async function resolveEncryption(
  block: EncryptionConfig,
  where: string,
  configDir: string,
  problems: string[],
): Promise<JobEncryption | undefined> {
  // Loaded only when a job encrypts: age costs every other command's start-up.
  const { keyLines, recipientProblem } = await import('@tricopy/age');
  const recipients: string[] = [];
  const add = (recipient: string, key: string) => {
    const problem = recipientProblem(recipient);
    if (problem === undefined) recipients.push(recipient);
    else problems.push(`${key}: ${problem}`);
  };
  for (const [index, recipient] of (block.recipients ?? []).entries()) {
    add(recipient.trim(), `${where}.recipients[${index}]`);
  }
  if (block.recipientsFile !== undefined) {
    const file = resolveConfigPath(configDir, block.recipientsFile);
    const key = `${where}.recipientsFile`;
    try {
      const lines = keyLines(await readFile(file, 'utf8'));
      if (lines.length === 0) problems.push(`${key}: ${file} lists no recipient`);
      for (const [index, line] of lines.entries()) add(line, `${key} (${file}, recipient ${index + 1})`);
    } catch (error) {
      problems.push(`${key}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  return recipients.length > 0 ? { recipients: [...new Set(recipients)] } : undefined;
}

/** Where a job puts plaintext copies against `policy.encryption` (offsite or all), as config problems. */
export function encryptionPolicyProblems(
  policy: Policy,
  jobs: Iterable<{ name: string; encryption?: JobEncryption; destinations: readonly string[] }>,
  destinations: ReadonlyMap<string, { readonly offsite: boolean }>,
): string[] {
  if (policy.encryption === 'warn') return [];
  const problems: string[] = [];
  for (const job of jobs) {
    if (job.encryption !== undefined) continue;
    const plaintext = job.destinations.filter(
      (name) => policy.encryption === 'all' || destinations.get(name)?.offsite === true,
    );
    if (plaintext.length === 0) continue;
    problems.push(
      `jobs.${job.name}.encryption: policy.encryption is ${policy.encryption}, but this job would store plaintext copies on ${plaintext.join(', ')}${policy.encryption === 'offsite' ? ' (offsite)' : ''}; give it encryption: { recipients: [age1…] } (or set a top-level encryption)`,
    );
  }
  return problems;
}

/** The jobs that store plaintext copies (for the warnings of policy.encryption: warn). */
export function plaintextJobs(jobs: Iterable<{ name: string; encryption?: JobEncryption }>): string[] {
  return [...jobs].filter((job) => job.encryption === undefined).map((job) => job.name);
}
