/** Built-in plugin names and the workspace packages that implement them. Loaded lazily: heavy SDKs stay unloaded. */
export const BUILTIN_SOURCES: Readonly<Record<string, string>> = {
  sqlite: '@tricopy/source-sqlite',
  postgres: '@tricopy/source-postgres',
  mysql: '@tricopy/source-mysql',
};

export const BUILTIN_DESTINATIONS: Readonly<Record<string, string>> = {
  local: '@tricopy/destination-local',
  sftp: '@tricopy/destination-sftp',
  s3: '@tricopy/destination-s3',
};
