/**
 * The instance: which state dir this run serves. Each state dir has an ID,
 * made once and kept in STATE_DIR/instance, and the kernel objects a state
 * dir makes carry it, so several state dirs (CI jobs with their own
 * CNM_STATE_DIR) share a host without touching each other's objects:
 *
 *   |                        | default state dir (/var/lib/cnm) | any other state dir (ID i)      |
 *   |------------------------|----------------------------------|---------------------------------|
 *   | nftables table         | inet cnm                         | inet cnm-<i>                    |
 *   | host-side links        | no alias                         | alias "cnm:<i>"                 |
 *   | resolv.conf first line | # written by cnm for sandbox N   | # written by cnm <i> for sandbox N |
 *   | default bridge         | cnm0                             | cnm-<11 hex of its network ID>  |
 *   | run dir (DNS server)   | /run/cnm                         | /run/cnm/<i>                    |
 *
 * The default state dir keeps cnm's plain names (and what older versions
 * made); reconcile removes only what carries its own instance's marks. A
 * state dir whose ID was lost (its instance file removed) gets a new one and
 * no longer owns what the old one made: reconcile then leaves those alone.
 */
import { CnmError } from './errors.js';
import { readFileSync, replaceFile } from './files.js';
import { hex } from './names.js';
import { DEFAULT_STATE_DIR, join, resolve, useRunDir } from './paths.js';

const ID_RE = /^[0-9a-f]{12}$/;

export interface Instance {
  /** 12 hex characters. */
  readonly id: string;
  /** The default state dir's instance, which keeps cnm's plain names. */
  readonly plain: boolean;
  /** Whether the ID is in the state dir yet. */
  readonly stored: boolean;
}

let current: Instance = { id: '000000000000', plain: true, stored: false };
/** The state dir `current` belongs to. */
let served: string | undefined;
/** The default state dir is served and its ID not read yet (chooseStateDir). */
let unread = false;

/** The nftables table of this instance ("inet cnm" or "inet cnm-<id>"); a live binding, set by useInstance. */
export let TABLE = 'inet cnm';

export function instance(): Instance {
  return current;
}

function instanceFile(dir: string): string {
  return join(dir, 'instance');
}

function newInstanceId(): string {
  return hex(globalThis.crypto.getRandomValues(new Uint8Array(6)));
}

function readId(dir: string): string | undefined {
  try {
    const id = readFileSync(instanceFile(dir), 'utf8').trim();
    if (!ID_RE.test(id)) throw new CnmError(`${instanceFile(dir)} is corrupt (not 12 hex characters); cnm will not guess which objects are its own: repair it or move the state dir away`);
    return id;
  } catch (e) {
    if (e instanceof CnmError) throw e;
    return undefined;
  }
}

function use(dir: string, id: string, stored: boolean): void {
  const plain = resolve(dir) === resolve(DEFAULT_STATE_DIR);
  current = { id, plain, stored };
  unread = false;
  served = dir;
  TABLE = plain ? 'inet cnm' : `inet cnm-${id}`;
  useRunDir(plain ? undefined : id);
}

/**
 * Makes this process serve the state dir `dir`, with the ID stored there. A
 * state dir without one gets a new ID, kept in memory: it owns nothing yet,
 * and it is stored (storeInstance) with the first state that is written, so a
 * run that fails or only reads leaves nothing behind.
 */
export function useStateDir(dir: string): void {
  const id = readId(dir);
  use(dir, id ?? newInstanceId(), id !== undefined);
}

/**
 * useStateDir, unless this process serves `dir` already with the ID stored
 * there (a command's run chose its state dir before it made its store; the
 * store reads the ID again under the lock anyway). An ID not stored yet is
 * read again: another run may have stored one meanwhile.
 */
export function serveStateDir(dir: string): void {
  if (served !== dir || (!current.stored && !unread)) useStateDir(dir);
}

/**
 * useStateDir for a command's run, before its store: the default state dir's
 * ID names nothing (its table, run dir and marks are the plain ones), so it
 * is read when the store first reads the state (under the lock, or an
 * unlocked read: knowStateDir), not before the lock of every hot command
 * (an open, read and close, ~0.15 ms). Another dir's ID names its objects
 * and is read at once.
 */
export function chooseStateDir(dir: string): void {
  if (resolve(dir) !== resolve(DEFAULT_STATE_DIR)) return useStateDir(dir);
  use(dir, current.id, false);
  unread = true;
}

/** Reads the ID of the state dir `dir` if chooseStateDir left it unread (a corrupt one is refused here). */
export function knowStateDir(dir: string): void {
  if (unread && served === dir) useStateDir(dir);
}

/** Stores this instance's ID in `dir` if it is not there yet (under the state lock, before the state write). */
export function storeInstance(dir: string): void {
  if (current.stored) return;
  try {
    replaceFile(instanceFile(dir), `${current.id}\n`);
  } catch (e) {
    throw new CnmError(`cannot write ${instanceFile(dir)}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}; nothing was saved: free space in ${dir} and retry`);
  }
  current = { ...current, stored: true };
}

/** What marks a host-side link as this instance's: options for its `link.set ... up` op. */
export function linkMark(): { alias?: string } {
  return current.plain ? {} : { alias: `cnm:${current.id}` };
}

/** Whether a link with a cnm name and this alias is this instance's to remove. */
export function ownsLink(alias: string | undefined): boolean {
  return current.plain ? !alias?.startsWith('cnm:') : alias === `cnm:${current.id}`;
}

/** The first words of a resolv.conf cnm writes for a sandbox: who wrote it. */
export function fileMark(): string {
  return current.plain ? '# written by cnm' : `# written by cnm ${current.id}`;
}

/** The bridge of the built-in `bridge` network. */
export function defaultBridge(bridgeOfId: string): string {
  return current.plain ? 'cnm0' : bridgeOfId;
}
