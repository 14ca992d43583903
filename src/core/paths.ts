/** Where cnm keeps things. The state dir comes from --state-dir / CNM_STATE_DIR. */
import { join } from 'node:path';

export const DEFAULT_STATE_DIR = '/var/lib/cnm';
export const NETNS_DIR = '/run/netns';
export const ETC_NETNS_DIR = '/etc/netns';
export const RUN_DIR = process.env.CNM_RUN_DIR ?? '/run/cnm';

export function stateFile(dir: string): string {
  return join(dir, 'state.json');
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

/** The embedded DNS server's files in the run dir: its pid, the addresses it listens on, its start lock, its log. */
export function dnsRunFile(file: 'pid' | 'addrs' | 'lock' | 'log'): string {
  return join(RUN_DIR, `dns.${file}`);
}
