import { assertSafePrefix, CONTRACT_VERSION, type DestinationPlugin } from '@tricopy/contract';
import type { ErrorScope } from './errors.js';
import { type S3Options, s3OptionsSchema, secretOptions } from './options.js';

export { DEFAULT_PART_SIZE, type S3Options, s3OptionsSchema } from './options.js';

const plugin: DestinationPlugin<S3Options> = {
  kind: 'destination',
  contractVersion: CONTRACT_VERSION,
  type: 's3',
  optionsSchema: s3OptionsSchema,
  secretOptions,
  defaults: { media: 'cloud', offsite: true },

  async create(options, context) {
    // The AWS SDK is loaded when an S3 destination is opened, not with the config: it costs other commands'
    // start-up (list, check, a job to other destinations) about 0.3 s and 35 MiB.
    const [{ S3Client }, { S3Destination }, { refuseWebPages }] = await Promise.all([
      import('@aws-sdk/client-s3'),
      import('./s3-destination.js'),
      import('./not-s3.js'),
    ]);
    const prefix =
      options.prefix === '' || options.prefix.endsWith('/') ? options.prefix : `${options.prefix}/`;
    assertSafePrefix(prefix);
    const checksums = options.checksumMode === 'when_supported' ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED';
    // The SDK prints a multi-line notice on Node 20 about its future Node 22 requirement on every run; tricopy's
    // README says this once, and a backup's stderr is for the backup.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const client = new S3Client({
      region: options.region,
      ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
      forcePathStyle: options.forcePathStyle,
      ...(options.accessKeyId !== undefined &&
        options.secretAccessKey !== undefined && {
          credentials: {
            accessKeyId: options.accessKeyId,
            secretAccessKey: options.secretAccessKey,
            ...(options.sessionToken !== undefined && { sessionToken: options.sessionToken }),
          },
        }),
      requestChecksumCalculation: checksums,
      responseChecksumValidation: checksums,
      maxAttempts: options.maxAttempts,
      // socketTimeout is an idle timeout: a stalled store fails, a long but flowing upload does not.
      requestHandler: {
        connectionTimeout: options.connectTimeoutMs,
        socketTimeout: options.requestTimeoutMs,
      },
    });
    refuseWebPages(client);
    const scope: ErrorScope = {
      who: `destination "${context.name}"`,
      bucket: options.bucket,
      endpoint: options.endpoint ?? `AWS S3 (${options.region})`,
      redact: (text) => context.redact(text),
    };
    return new S3Destination(
      {
        bucket: options.bucket,
        prefix,
        partSize: options.partSize,
        queueSize: options.queueSize,
        operationTimeoutMs: options.operationTimeoutMs,
        ...(options.storageClass !== undefined && { storageClass: options.storageClass }),
        ...(options.serverSideEncryption !== undefined && {
          serverSideEncryption: options.serverSideEncryption,
        }),
        ...(options.sseKmsKeyId !== undefined && { sseKmsKeyId: options.sseKmsKeyId }),
      },
      client,
      scope,
      context.logger,
    );
  },
};

export default plugin;
