/** The commented config `tricopy init` writes. Every key here is real and validated. */
export const STARTER_CONFIG = `# tricopy configuration. Reference: https://github.com/tricopy/tricopy#configuration
# Any string may read the environment with \${VAR}; an unset variable is an error. Keep secrets there.
# Inside { ... } quote such values: password: "\${PGPASS}". ~/ is your home folder.

# Where copies go. media and offsite feed the 3-2-1 check; each plugin has defaults
# (local: disk/on-site, sftp: nas/on-site, s3: cloud/offsite).
destinations:
  primary:
    type: local
    path: ./backups/primary
  second-disk:
    type: local
    path: ./backups/second-disk
    media: removable
  # offsite:
  #   type: s3
  #   bucket: my-backups
  #   region: eu-central-1
  #   accessKeyId: \${AWS_ACCESS_KEY_ID}
  #   secretAccessKey: \${AWS_SECRET_ACCESS_KEY}
  # nas:
  #   type: sftp
  #   host: nas.example.lan
  #   username: backup
  #   privateKey: ~/.ssh/id_ed25519
  #   path: /volume1/backups
  #   hostKey: SHA256:...        # tricopy check prints it

# What to back up. Each job reads its source once and writes every destination.
jobs:
  app:
    source:
      type: sqlite
      path: ./app.db
    # postgres: { type: postgres, host: db1, user: backup, database: app, password: "\${PGPASS_APP}" }
    # mysql:    { type: mysql, host: db2, user: backup, database: shop, password: "\${MYSQL_PASS_SHOP}" }
    destinations: [primary, second-disk]
    compression: auto            # auto | gzip | zstd | none (auto: zstd; none for pg_dump's compressed format)

# The 3-2-1 rule: copies, kinds of media, offsite copies. enforce: warn runs short jobs and says
# what is missing; error refuses them.
policy:
  copies: 3
  media: 2
  offsite: 1
  enforce: warn

# catalog: ./.tricopy/catalog.db  # default: beside this file
`;
