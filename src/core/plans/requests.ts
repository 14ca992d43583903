/** What callers ask of an endpoint and of a new sandbox (the flags of connect and sandbox add). */

export interface EndpointRequest {
  ip?: string;
  ip6?: string;
  aliases: string[];
  mac?: string;
  /** The interface name inside the sandbox (a CNI runtime's CNI_IFNAME); default the next free ethN. */
  ifname?: string;
}

/** What `sandbox add` was asked for (the ports hook reads --publish). */
export interface AddSandboxInput extends EndpointRequest {
  name: string;
  networks: string[];
  hostname?: string;
  dns: string[];
  /** resolv.conf's search domains and options (--dns-search, --dns-option). */
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** Lines for the hosts file, NAME:IP (--add-host; IP may be `host-gateway`). */
  extraHosts?: string[];
  /** Metadata KEY=VALUE (--label), shown as Config.Labels and matched by --filter label=. */
  labels?: Record<string, string>;
  netnsPath?: string;
  pid?: number;
  /** Port specs to publish (-p), Docker's syntax; parsed and applied by the ports hook. */
  publish?: string[];
}

