/** The driver registry: every driver cnm knows, by the name users type. */
import { UsageError } from '../core/errors.js';
import type { DriverName } from '../core/model.js';
import { bridgeDriver } from './bridge.js';
import { hostDriver } from './host.js';
import { ipvlanDriver } from './ipvlan.js';
import { macvlanDriver } from './macvlan.js';
import { noneDriver } from './none.js';
import { overlayDriver } from './overlay.js';
import type { NetworkDriver } from './types.js';

const drivers = new Map<DriverName, NetworkDriver>([
  ['bridge', bridgeDriver],
  ['host', hostDriver],
  ['none', noneDriver],
  ['macvlan', macvlanDriver],
  ['ipvlan', ipvlanDriver],
  ['overlay', overlayDriver],
]);

export function registerDriver(d: NetworkDriver): void {
  drivers.set(d.type, d);
}

export function driverNames(): DriverName[] {
  return [...drivers.keys()];
}

/** The driver users call `name`, if there is one. */
export function findDriver(name: string): NetworkDriver | undefined {
  return drivers.get(name as DriverName);
}

/**
 * The driver of that name: the registry keys each driver by its type, so a
 * network's `driver` field picks the driver that takes that network.
 */
export function getDriver(name: string): NetworkDriver {
  const d = findDriver(name);
  if (!d) throw new UsageError(`unknown driver "${name}": use one of ${[...drivers.keys()].join(', ')}`);
  return d;
}
