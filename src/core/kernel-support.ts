/**
 * Kernels differ in the link types they can make: a missing module makes
 * `ip link add ... type T` fail with "Unknown device type". This turns that
 * into a message that names the missing support and what to do about it.
 */

/** Link types cnm makes, with the module that provides each and how users call it. */
const LINK_MODULES: Record<string, { module: string; what: string }> = {
  ipvlan: { module: 'ipvlan', what: 'ipvlan' },
  macvlan: { module: 'macvlan', what: 'macvlan' },
  vlan: { module: '8021q', what: '802.1q VLAN' },
  vxlan: { module: 'vxlan', what: 'VXLAN' },
  bridge: { module: 'bridge', what: 'bridge' },
  veth: { module: 'veth', what: 'veth' },
};

/** The link type an `ip link add` command line asks for, if any. */
function linkType(command: readonly string[]): string | undefined {
  const i = command.indexOf('add');
  if (i < 1 || command[i - 1] !== 'link') return undefined;
  const t = command.lastIndexOf('type');
  return t > i ? command[t + 1] : undefined;
}

/**
 * "this kernel has no ipvlan support (module ipvlan): ..." when the failure of
 * `command` says the kernel does not know the link type; undefined otherwise.
 */
export function missingSupport(command: readonly string[], stderr: string): string | undefined {
  if (!/Unknown device type/i.test(stderr)) return undefined;
  const type = linkType(command);
  if (type === undefined) return undefined;
  const m = LINK_MODULES[type] ?? { module: type, what: type };
  return (
    `this kernel has no ${m.what} support (module ${m.module}): ` +
    `"ip ${command.slice(command[0] === 'ip' ? 1 : 0).join(' ')}" says "${stderr.trim().split('\n')[0]}"; ` +
    `load it with "modprobe ${m.module}" or use a kernel that has it`
  );
}

/**
 * The ports a Linux bridge takes: BR_MAX_PORTS (1,024) port numbers, of which
 * 0 is never given (net/bridge/br_if.c); one more answers EXFULL ("Exchange full").
 */
export const BRIDGE_MAX_PORTS = 1023;

/**
 * "bridge B has no free port ..." when the failure of `command` (a port
 * attached: `link set X master B`) is the kernel's EXFULL; undefined otherwise.
 */
export function bridgeFull(command: readonly string[], stderr: string): string | undefined {
  if (!/Exchange full/i.test(stderr)) return undefined;
  const m = command.indexOf('master');
  if (m < 0 || command[m + 1] === undefined) return undefined;
  const port = command[command.indexOf('set') + 1] ?? 'the port';
  return (
    `bridge ${command[m + 1]} has no free port for ${port}: it has 1,023 ports, the kernel's limit ` +
    `(ports added outside cnm count too); remove one (ip link show master ${command[m + 1]}) or use another network`
  );
}
