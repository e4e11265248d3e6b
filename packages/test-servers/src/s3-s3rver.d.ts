// Just what s3-child.ts uses of s3rver 3.7 (the package ships no types).
declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverOptions {
    directory: string;
    silent?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs: Buffer[] }[];
  }

  export default class S3rver {
    constructor(options: S3rverOptions);
    readonly store: {
      putBucket(name: string): Promise<unknown>;
      deleteSubresource(bucket: string, key: string, resourceType: string): Promise<unknown>;
    };
    configureBuckets(): Promise<unknown>;
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }
}
