/**
 * The CNI spec versions cnm speaks: results in the 0.3/0.4 shape (with
 * `version` on each address) and the 1.x shape; GC and STATUS since 1.1.0.
 */
import { CODES, CniError } from './errors.js';

export const SUPPORTED = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export type Version = (typeof SUPPORTED)[number];
export const LATEST: Version = '1.1.0';

export function parseVersion(v: unknown): Version {
  if (typeof v !== 'string' || !(SUPPORTED as readonly string[]).includes(v)) {
    throw new CniError(CODES.incompatibleVersion, `cniVersion ${JSON.stringify(v)} is not supported; cnm speaks ${SUPPORTED.join(', ')}`);
  }
  return v as Version;
}

/** Whether `v` is at least `min` (both supported versions). */
export function atLeast(v: Version, min: Version): boolean {
  return SUPPORTED.indexOf(v) >= SUPPORTED.indexOf(min);
}
