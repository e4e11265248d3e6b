import { Transform } from 'node:stream';
import { DestinationError } from '@tricopy/contract';
import { rcloneFailure, type Scope } from './errors.js';
import { type Child, isRunning, outcomeOf } from './rclone.js';

/**
 * The stream a `get` returns: `rclone cat`'s output as it comes, ending with an error when rclone fails or when the
 * bytes read are not the `size` the object had. Destroying it stops rclone.
 */
export function checkedRead(child: Child, size: number, scope: Scope, action: string): Transform {
  let count = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      count += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      void child.then((result) => {
        const outcome = outcomeOf(result);
        if (outcome.exitCode !== 0) return callback(rcloneFailure(scope, action, 'cat', outcome));
        if (count === size) return callback();
        callback(
          new DestinationError(
            `${scope.who}: ${action}: read ${count} bytes, the object had ${size}: it changed while it was read`,
            { retryable: true },
          ),
        );
      });
    },
    destroy(error, callback) {
      if (isRunning(child)) child.kill();
      callback(error);
    },
  });
}
