/** Where cnm keeps things. The state dir comes from --state-dir / CNM_STATE_DIR. */
import { join } from 'node:path';

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
 * and its control socket (root only: set-element batches handed over by short-lived commands, core/exec/control-socket.ts).
 */
export function dnsRunFile(file: 'pid' | 'addrs' | 'lock' | 'log' | 'ctl'): string {
  return join(RUN_DIR, `dns.${file}`);
}
