import { NAME, NAME_MESSAGE } from './schema.js';

export type Loose = Record<string, unknown>;

/** The destinations and jobs of a config whose shape may be wrong, keeping only entries that are objects. */
export interface LooseConfig {
  readonly destinations: Record<string, Loose>;
  readonly jobs: Record<string, Loose>;
}

export function isRecord(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function looseShape(value: unknown): LooseConfig {
  const root = isRecord(value) ? value : {};
  const objects = (v: unknown) =>
    Object.fromEntries(Object.entries(isRecord(v) ? v : {}).filter(([, item]) => isRecord(item))) as Record<
      string,
      Loose
    >;
  return { destinations: objects(root.destinations), jobs: objects(root.jobs) };
}

/** Names the schema's record check might never see (`__proto__`) are refused here, by their own keys. */
export function nameProblems(loose: LooseConfig): string[] {
  const problems: string[] = [];
  for (const section of ['destinations', 'jobs'] as const) {
    for (const name of Object.keys(loose[section])) {
      if (!NAME.test(name)) problems.push(`${section}.${name}: ${NAME_MESSAGE}`);
    }
  }
  return problems;
}

export function crossReferenceProblems(loose: LooseConfig): string[] {
  const problems: string[] = [];
  const known = Object.keys(loose.destinations);
  for (const [jobName, job] of Object.entries(loose.jobs)) {
    const names = Array.isArray(job.destinations) ? job.destinations : [];
    names.forEach((name, index) => {
      if (typeof name === 'string' && !known.includes(name)) {
        problems.push(
          `jobs.${jobName}.destinations[${index}]: unknown destination "${name}" (known: ${known.join(', ') || 'none defined'})`,
        );
      }
    });
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate !== undefined)
      problems.push(`jobs.${jobName}.destinations: "${duplicate}" is listed twice`);
    for (const name of Object.keys(isRecord(job.retentionByDestination) ? job.retentionByDestination : {})) {
      if (!names.includes(name)) {
        problems.push(`jobs.${jobName}.retentionByDestination.${name}: not one of this job's destinations`);
      }
    }
  }
  return problems;
}
