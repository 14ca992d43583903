/**
 * CNI errors: the spec's well-known codes (1-7, 11, 50, 51) and cnm's own
 * (100 + cnm's exit code, and 110 for a CHECK that found drift), printed as
 * the spec's error structure.
 */
import { CnmError } from '../core/errors.js';

export const CODES = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnvironment: 4,
  io: 5,
  decode: 6,
  invalidConfig: 7,
  tryAgain: 11,
  unavailable: 50,
  unavailableLimited: 51,
  /** cnm's exit codes 1-4 (failed and rolled back, bad input, not found, conflict) are 101-104. */
  cnmBase: 100,
  drifted: 110,
} as const;

const MESSAGES: Record<number, string> = {
  1: 'Incompatible CNI version',
  2: 'Unsupported field in network configuration',
  3: 'Container unknown or does not exist',
  4: 'Invalid necessary environment variables',
  5: 'I/O failure',
  6: 'Failed to decode content',
  7: 'Invalid network configuration',
  11: 'Try again later',
  50: 'The plugin is not available',
  51: 'The plugin is not available, and existing containers in the network may have limited connectivity',
  101: 'cnm could not do it (nothing was changed)',
  102: 'cnm refused the input',
  103: 'cnm found no such object',
  104: 'cnm found a conflict',
  110: 'The attachment does not match the kernel',
};

export class CniError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    msg?: string,
  ) {
    super(msg ?? MESSAGES[code] ?? 'cnm plugin error');
  }
}

/** Any failure as a CniError: a cnm error keeps its message and its exit code in the code. */
export function asCniError(err: unknown): CniError {
  if (err instanceof CniError) return err;
  if (err instanceof CnmError) return new CniError(CODES.cnmBase + err.exitCode, err.message.split('\n')[0]!);
  const e = err instanceof Error ? err : new Error(String(err));
  return new CniError(CODES.cnmBase + 1, `internal error (a bug; please report it): ${e.stack ?? e.message}`);
}

/** The spec's error structure. */
export function errorDocument(err: CniError, cniVersion: string): Record<string, unknown> {
  return { cniVersion, code: err.code, msg: err.message, details: err.details };
}
