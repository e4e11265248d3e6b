import { type LoadedConfig, UsageError } from '@tricopy/core';

/** The config of a fleet command: it needs a PostgreSQL catalog (the queue lives in its database). */
export function requireFleet(config: LoadedConfig, command: string): LoadedConfig & { catalogUrl: string } {
  if (config.catalogUrl === undefined) {
    throw new UsageError(
      `tricopy ${command} needs a PostgreSQL catalog: set catalog: postgres://USER:PASSWORD@HOST:PORT/DATABASE in ${config.file} (see docs/fleet.md)`,
    );
  }
  return config as LoadedConfig & { catalogUrl: string };
}
