/** A sandbox's endpoint as `sandbox inspect` shows it (Docker's NetworkSettings.Networks entries). */
import { type Host, json } from './host.js';

export interface EpView {
  EndpointID: string;
  IPAddress: string;
  MacAddress: string;
  GlobalIPv6Address?: string;
  Gateway: string;
}
type Networks = Record<string, EpView>;

/** A sandbox's endpoint on a network, from `sandbox inspect` (Docker's NetworkSettings.Networks shape, or the older top-level Networks). */
export const epOf = (h: Host, sb: string, net: string): EpView => {
  const v = json<{ Networks?: Networks; NetworkSettings?: { Networks: Networks } }[]>(h.cnmOk(['sandbox', 'inspect', sb]))[0]!;
  return (v.NetworkSettings?.Networks ?? v.Networks)![net]!;
};
