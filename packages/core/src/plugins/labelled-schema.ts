import type { StandardSchemaV1 } from '@tricopy/contract';
import { describeError, PluginLoadError } from '../util/errors.js';

/**
 * Wraps a plugin's options schema so that each issue names the plugin it comes from, e.g.
 * `destinations.nas.url: Invalid URL (options of destination plugin "./webdav.js")`, and so that a schema
 * that throws is reported as the plugin's fault.
 */
export function labelledSchema<Output>(
  schema: StandardSchemaV1<unknown, Output>,
  label: string,
): StandardSchemaV1<unknown, Output> {
  const standard = schema['~standard'];
  return {
    '~standard': {
      version: standard.version,
      vendor: standard.vendor,
      async validate(value) {
        let result: StandardSchemaV1.Result<Output>;
        try {
          result = await standard.validate(value);
        } catch (error) {
          throw new PluginLoadError(
            `${label}: its optionsSchema failed: ${describeError(error).split('\n')[0]}`,
            {
              cause: error,
            },
          );
        }
        if (result.issues === undefined) return result;
        return {
          issues: result.issues.map((issue) => ({
            ...issue,
            message: `${issue.message} (options of ${label})`,
          })),
        };
      },
    },
  };
}
