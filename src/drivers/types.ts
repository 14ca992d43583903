/**
 * The driver contract, in CNM verbs (after libnetwork's driverapi): drivers
 * validate options before anything changes, then return plans. They never
 * touch the kernel themselves.
 */
import type { DriverName, Endpoint, Network, Sandbox } from '../core/model.js';
import type { Op } from '../core/plan.js';

/** What `net create` was given, before the driver has checked it. */
export interface RawNetworkOptions {
  parent?: string;
  mode?: string;
  vni?: number;
  peers: string[];
  local?: string;
  opts: Record<string, string>;
}

export type DriverOptions = Network['driverOpts'];

/** An endpoint's join is work in two namespaces: cnm's own (host) and the sandbox's. */
export interface JoinPlan {
  host: Op[];
  sandbox: Op[];
}

export interface JoinContext {
  /** This endpoint's network provides the sandbox's default route. */
  defaultRoute: boolean;
}

export interface NetworkDriver {
  readonly type: DriverName;
  /** Whether endpoints get an interface and addresses (false for host and none). */
  readonly hasInterfaces: boolean;
  /** Whether the network gets a gateway address on the host by default. */
  readonly hostGateway: boolean;
  validate(raw: RawNetworkOptions): DriverOptions;
  createNetwork(net: Network): Op[];
  deleteNetwork(net: Network): Op[];
  join(net: Network, ep: Endpoint, sb: Sandbox, ctx: JoinContext): JoinPlan;
  leave(net: Network, ep: Endpoint, sb: Sandbox): Op[];
}
