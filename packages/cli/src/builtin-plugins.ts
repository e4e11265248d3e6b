import type { PluginTable } from '@tricopy/core';

/** The plugins tricopy ships, by the short type a config names them with. Resolved from this package's dependencies. */
export const BUILTIN_PLUGINS: PluginTable = {
  sources: {
    sqlite: '@tricopy/source-sqlite',
    postgres: '@tricopy/source-postgres',
    mysql: '@tricopy/source-mysql',
  },
  destinations: {
    local: '@tricopy/destination-local',
    sftp: '@tricopy/destination-sftp',
    s3: '@tricopy/destination-s3',
    rclone: '@tricopy/destination-rclone',
  },
  resolve: (packageName) => import.meta.resolve(packageName),
};
