import { TricopyError } from '@tricopy/contract';

const MARKER = 'tricopy.error.PluginLoadError';
const SYMBOL = Symbol.for(MARKER);

/** A plugin that cannot be found, imported or accepted (wrong contract version, bad shape). */
export class PluginLoadError extends TricopyError {
  readonly [SYMBOL] = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super('PLUGIN_LOAD', message, options);
    this.name = 'PluginLoadError';
  }

  static override isInstance(value: unknown): value is PluginLoadError {
    return TricopyError.hasMarker(value, MARKER);
  }
}
