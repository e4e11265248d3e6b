import type { Plugin } from '@tricopy/contract';

type Kind = Plugin['kind'];

/** What a plugin module must export, in words for an error message. */
export function expectedShape(kind: Kind): string {
  return (
    `a default export { kind: "${kind}", contractVersion, type, optionsSchema (a Standard Schema such as zod), ` +
    `${kind === 'destination' ? 'defaults: { media, offsite }, ' : ''}create() }`
  );
}

/** undefined when `module`'s plugin export has the right shape, else what was found instead. */
export function shapeProblem(kind: Kind, module: Record<string, unknown>): string | undefined {
  const candidate = module.default ?? module.plugin;
  if (candidate === undefined) {
    const names = Object.keys(module);
    return `no default export (the module exports ${names.length > 0 ? names.join(', ') : 'nothing'})`;
  }
  if (candidate === null || typeof candidate !== 'object') {
    return `a default export of type ${candidate === null ? 'null' : typeof candidate}`;
  }
  const plugin = candidate as Record<string, unknown>;
  const keys = `(its keys: ${Object.keys(plugin).join(', ') || 'none'})`;
  if (plugin.kind !== kind) {
    if (plugin.kind === 'source' || plugin.kind === 'destination') {
      return `a ${plugin.kind} plugin (kind: "${plugin.kind}"): use it as a ${plugin.kind}`;
    }
    return `kind: ${JSON.stringify(plugin.kind)} ${keys}`;
  }
  if (typeof plugin.contractVersion !== 'number') return `no numeric contractVersion ${keys}`;
  if (typeof plugin.type !== 'string') return `no type name ${keys}`;
  if (typeof plugin.create !== 'function') return `no create() function ${keys}`;
  const schema = plugin.optionsSchema as Record<string, unknown> | undefined;
  if (schema === null || typeof schema !== 'object' || !('~standard' in schema)) {
    return `an optionsSchema that is not a Standard Schema ${keys}`;
  }
  if (kind === 'destination') {
    const defaults = plugin.defaults as Record<string, unknown> | undefined;
    if (typeof defaults?.media !== 'string' || typeof defaults.offsite !== 'boolean') {
      return `no defaults { media: string, offsite: boolean } ${keys}`;
    }
  }
  return undefined;
}
