/**
 * Where cnm keeps things. The state dir comes from --state-dir / CNM_STATE_DIR.
 * Also join, resolve, dirname and basename with node:path's POSIX results
 * (its algorithm): importing node:path costs Bun ~0.3 ms of every run's
 * start-up (test/unit/paths.test.ts compares them on random paths).
 */

export const DEFAULT_STATE_DIR = '/var/lib/cnm';
export const NETNS_DIR = '/run/netns';
export const ETC_NETNS_DIR = '/etc/netns';
const BASE_RUN_DIR = process.env.CNM_RUN_DIR ?? '/run/cnm';
/** This instance's run dir (a live binding): /run/cnm for the default state dir, /run/cnm/<instance ID> for others. */
export let RUN_DIR = BASE_RUN_DIR;

export function useRunDir(instanceId: string | undefined): void {
  RUN_DIR = instanceId === undefined ? BASE_RUN_DIR : join(BASE_RUN_DIR, instanceId);
}

export function stateFile(dir: string): string {
  return join(dir, 'state.json');
}

/** The stamp of the last state.json this cnm wrote (see Store): its shape checks need not run again on that text. */
export function stateStampFile(dir: string): string {
  return join(dir, 'state.stamp');
}

/** Names of endpoints on other cluster hosts, written by the cluster agent, answered by the DNS server. */
export function clusterRecordsFile(dir: string): string {
  return join(dir, 'cluster-records.json');
}

export function lockFile(dir: string): string {
  return join(dir, 'state.lock');
}

export function netnsPath(name: string): string {
  return join(NETNS_DIR, name);
}

export function sandboxEtc(name: string, file: 'resolv.conf' | 'hosts' | 'hostname'): string {
  return join(ETC_NETNS_DIR, name, file);
}

/**
 * The embedded DNS server's files in the run dir: its pid, the addresses it listens on, its start lock, its log,
 * and its control socket (root only: set-element batches handed over by short-lived commands, core/exec/control-socket.ts and control-server.ts).
 */
export function dnsRunFile(file: 'pid' | 'addrs' | 'lock' | 'log' | 'ctl'): string {
  return join(RUN_DIR, `dns.${file}`);
}

const SLASH = 47;
const DOT = 46;

/** node:path's normalizeString: `.` and `..` and repeated slashes folded (`..` kept above the root only when allowed). */
function normalizeString(path: string, allowAboveRoot: boolean): string {
  let res = '';
  let lastSegmentLength = 0;
  let lastSlash = -1;
  let dots = 0;
  let code = 0;
  for (let i = 0; i <= path.length; ++i) {
    if (i < path.length) code = path.charCodeAt(i);
    else if (code === SLASH) break;
    else code = SLASH;
    if (code === SLASH) {
      if (lastSlash === i - 1 || dots === 1) {
        // an empty or `.` segment
      } else if (dots === 2) {
        if (res.length < 2 || lastSegmentLength !== 2 || res.charCodeAt(res.length - 1) !== DOT || res.charCodeAt(res.length - 2) !== DOT) {
          if (res.length > 2) {
            const at = res.lastIndexOf('/');
            if (at === -1) {
              res = '';
              lastSegmentLength = 0;
            } else {
              res = res.slice(0, at);
              lastSegmentLength = res.length - 1 - res.lastIndexOf('/');
            }
            lastSlash = i;
            dots = 0;
            continue;
          } else if (res.length !== 0) {
            res = '';
            lastSegmentLength = 0;
            lastSlash = i;
            dots = 0;
            continue;
          }
        }
        if (allowAboveRoot) {
          res += res.length > 0 ? '/..' : '..';
          lastSegmentLength = 2;
        }
      } else {
        res = res.length > 0 ? `${res}/${path.slice(lastSlash + 1, i)}` : path.slice(lastSlash + 1, i);
        lastSegmentLength = i - lastSlash - 1;
      }
      lastSlash = i;
      dots = 0;
    } else if (code === DOT && dots !== -1) {
      ++dots;
    } else {
      dots = -1;
    }
  }
  return res;
}

function normalize(path: string): string {
  if (path.length === 0) return '.';
  if (isNormal(path)) return path;
  const absolute = path.charCodeAt(0) === SLASH;
  const trailing = path.charCodeAt(path.length - 1) === SLASH;
  let out = normalizeString(path, !absolute);
  if (out.length === 0) return absolute ? '/' : trailing ? './' : '.';
  if (trailing) out += '/';
  return absolute ? `/${out}` : out;
}

/**
 * Whether normalize() would return the path as it is: no empty, `.` or `..` segment (a trailing
 * slash is kept). Asked with the engine's native string calls before the loop above, which is what
 * nearly every path cnm joins is (its own state and run files): JavaScriptCore counts that loop's
 * iterations and compiles it on a JIT thread after a few hundred, started just for that in a run
 * that would otherwise compile nothing before its state lock.
 */
function isNormal(path: string): boolean {
  return (
    !path.includes('//') &&
    !path.includes('/./') &&
    !path.includes('/../') &&
    !path.startsWith('./') &&
    !path.startsWith('../') &&
    !path.endsWith('/.') &&
    !path.endsWith('/..') &&
    path !== '.' &&
    path !== '..'
  );
}

/** node:path's join (POSIX). */
export function join(...parts: string[]): string {
  let joined = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part.length > 0) joined = joined.length > 0 ? `${joined}/${part}` : part;
  }
  return joined.length === 0 ? '.' : normalize(joined);
}

/** node:path's resolve (POSIX): absolute, against the working directory if no part is. */
export function resolve(...parts: string[]): string {
  let path = '';
  let absolute = false;
  for (let i = parts.length - 1; i >= -1 && !absolute; i--) {
    const part = i >= 0 ? parts[i]! : process.cwd();
    if (part.length === 0) continue;
    path = `${part}/${path}`;
    absolute = part.charCodeAt(0) === SLASH;
  }
  path = normalizeString(path, !absolute);
  return absolute ? `/${path}` : path.length > 0 ? path : '.';
}

/** node:path's dirname (POSIX). */
export function dirname(path: string): string {
  if (path.length === 0) return '.';
  const root = path.charCodeAt(0) === SLASH;
  let end = -1;
  let matchedSlash = true;
  for (let i = path.length - 1; i >= 1; --i) {
    if (path.charCodeAt(i) === SLASH) {
      if (!matchedSlash) {
        end = i;
        break;
      }
    } else matchedSlash = false;
  }
  if (end === -1) return root ? '/' : '.';
  if (root && end === 1) return '//';
  return path.slice(0, end);
}

/** node:path's basename (POSIX), without the suffix argument. */
export function basename(path: string): string {
  let start = 0;
  let end = -1;
  let matchedSlash = true;
  for (let i = path.length - 1; i >= 0; --i) {
    if (path.charCodeAt(i) === SLASH) {
      if (!matchedSlash) {
        start = i + 1;
        break;
      }
    } else if (end === -1) {
      matchedSlash = false;
      end = i + 1;
    }
  }
  return end === -1 ? '' : path.slice(start, end);
}
