/**
 * The plugins a config names by a short type (`local`, `s3`…). Core knows none: the application that installs them
 * (the `tricopy` CLI) hands its table to the config loader. Packages are loaded lazily: heavy SDKs stay unloaded.
 */
export interface PluginTable {
  /** Source type → npm package name. */
  readonly sources: Readonly<Record<string, string>>;
  /** Destination type → npm package name. */
  readonly destinations: Readonly<Record<string, string>>;
  /** The module URL of one of these packages, resolved where they are installed (the table owner's `import.meta.resolve`). */
  readonly resolve: (packageName: string) => string;
}

/** A table with no built-in plugins: every type is then an npm package name or a path. */
export const NO_BUILTIN_PLUGINS: PluginTable = {
  sources: {},
  destinations: {},
  resolve: (packageName) => {
    throw new Error(`no built-in plugins, so no ${packageName}`);
  },
};
