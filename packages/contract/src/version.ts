/** The contract version this package describes. Plugins declare the version they were written against. */
export const CONTRACT_VERSION = 1 as const;

/** The type of a plugin's `contractVersion`: the version this package describes. */
export type ContractVersion = typeof CONTRACT_VERSION;

/** Contract versions the engine can drive. */
export const SUPPORTED_CONTRACT_VERSIONS: readonly number[] = [1];
