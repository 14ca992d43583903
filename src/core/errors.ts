/**
 * Errors are values with exit codes (SPEC "Output and errors"):
 * 1 the operation failed (and was rolled back), 2 bad usage or input,
 * 3 no such object, 4 conflict. Anything that is not a CnmError is a bug.
 */
import { bridgeFull, missingSupport } from './kernel-support.js';

export class CnmError extends Error {
  exitCode = 1;
  /** Tells clipanion to print nothing of its own for this error. */
  readonly clipanion = { type: 'none' } as const;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class UsageError extends CnmError {
  override exitCode = 2;
}

export class NotFoundError extends CnmError {
  override exitCode = 3;
}

export class ConflictError extends CnmError {
  override exitCode = 4;
}

/** A kernel command failed: carries what ran, how it ended and what it said. */
export class KernelOpError extends CnmError {
  constructor(
    readonly command: readonly string[],
    readonly code: number | null,
    readonly stderr: string,
    readonly failedIndex?: number,
  ) {
    super(
      missingSupport(command, stderr) ??
        bridgeFull(command, stderr) ??
        `${command.join(' ')} failed${code === null ? '' : ` (exit ${code})`}: ${firstLine(stderr) || 'no message'}`,
    );
  }
}

export function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
}

/**
 * A plan failed and taking back what it had done failed too: the kernel is
 * half-changed. Carries the original error and each undo step that failed;
 * exits as the original would.
 */
export class RollbackError extends CnmError {
  constructor(
    readonly original: Error,
    readonly failures: readonly string[],
  ) {
    super(`${original.message}; rolling back also failed: ${failures.join('; ')}`);
    if (original instanceof CnmError) this.exitCode = original.exitCode;
  }
}
