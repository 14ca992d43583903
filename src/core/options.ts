/**
 * Docker's names for network options (`--opt KEY=VALUE`), as `docker network
 * create -o` takes them and `net inspect` shows them. Each driver lists the
 * ones it honours (drivers/*.ts `knownOptions`); these are the shared names.
 */
export const OPT = {
  /** The bridge's interface name, instead of cnm-<11 hex of the ID>. */
  bridgeName: 'com.docker.network.bridge.name',
  /** false: endpoints on the bridge cannot reach each other (isolated bridge ports), only the gateway and beyond. */
  icc: 'com.docker.network.bridge.enable_icc',
  /** false: no masquerade for traffic leaving the network. */
  masquerade: 'com.docker.network.bridge.enable_ip_masquerade',
  /** The host address `-p` publishes on when the spec names none (Docker's DefaultBindingIP). */
  hostBindingIpv4: 'com.docker.network.bridge.host_binding_ipv4',
  /** The MTU, like --mtu. */
  mtu: 'com.docker.network.driver.mtu',
} as const;

/** A boolean option's value, or undefined when not given; anything but true/false is refused by the caller. */
export function boolOption(options: Readonly<Record<string, string>>, key: string): boolean | undefined {
  const v = options[key];
  return v === undefined ? undefined : v === 'true' || v === '1';
}
