import { type ErrorCode, TricopyError } from '@tricopy/contract';

/** Runs `action` (sync throw or rejection both count) and returns what it threw; fails if it did not throw. */
export async function captureError(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

/**
 * Asserts that `action` fails with a TricopyError of `code`. Uses the error's code, not `instanceof`: the plugin
 * may bring its own copy of @tricopy/contract.
 */
export async function expectCode(action: () => unknown, code: ErrorCode): Promise<TricopyError> {
  const error = await captureError(action);
  if (!TricopyError.hasCode(error, code)) {
    const shown =
      error instanceof Error ? `${error.name}: ${error.message}` : `non-error value ${JSON.stringify(error)}`;
    const actualCode = TricopyError.isInstance(error) ? ` (code ${error.code})` : '';
    throw new Error(`expected a TricopyError with code ${code}, got ${shown}${actualCode}`, { cause: error });
  }
  return error;
}
