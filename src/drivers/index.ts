/**
 * The driver registry: every driver cnm knows, by the name users type.
 *
 * Bridge, host and none are always here. The others (macvlan, ipvlan,
 * overlay) are loaded only when needed (an `import()`, their own chunk in the
 * binary), so a plain `sandbox add|rm` on bridge networks does not load and
 * evaluate them: the session readies the drivers of the state's networks
 * before each update (readyDrivers), a joined host's cluster flow readies
 * them all, and the full CLI and the CNI plugin load them at once
 * (loadDrivers). A driver asked for before it was loaded fails loudly rather
 * than planning without it.
 */
import { UsageError } from '../core/errors.js';
import type { DriverName } from '../core/model.js';
import { bridgeDriver } from './bridge.js';
import { hostDriver } from './host.js';
import { noneDriver } from './none.js';
import type { NetworkDriver } from './types.js';

const BUILT_IN: readonly (readonly [DriverName, NetworkDriver])[] = [
  ['bridge', bridgeDriver],
  ['host', hostDriver],
  ['none', noneDriver],
];

/** The drivers loaded on demand, each by its module. */
const ON_DEMAND: readonly (readonly [DriverName, () => Promise<NetworkDriver>])[] = [
  ['macvlan', async () => (await import('./macvlan.js')).macvlanDriver],
  ['ipvlan', async () => (await import('./ipvlan.js')).ipvlanDriver],
  ['overlay', async () => (await import('./overlay.js')).overlayDriver],
];

// Filled by plain loops, not from iterables and spreads: this module is evaluated on every run, and each
// of those is a builtin (Map's iterable constructor, its keys' iterator) the engine compiles on first use.
const drivers = new Map<DriverName, NetworkDriver>();
const lazy = new Map<DriverName, () => Promise<NetworkDriver>>();
/** The names in the order users see them. */
const ORDER: DriverName[] = [];
for (let i = 0; i < BUILT_IN.length; i++) {
  drivers.set(BUILT_IN[i]![0], BUILT_IN[i]![1]);
  ORDER.push(BUILT_IN[i]![0]);
}
for (let i = 0; i < ON_DEMAND.length; i++) {
  lazy.set(ON_DEMAND[i]![0], ON_DEMAND[i]![1]);
  ORDER.push(ON_DEMAND[i]![0]);
}

export function registerDriver(d: NetworkDriver): void {
  drivers.set(d.type, d);
}

/** Every driver's name, loaded or not, in the order users see them. */
export function driverNames(): DriverName[] {
  return [...new Set([...ORDER, ...drivers.keys()])];
}

/** The driver users call `name`, if there is one. */
export function findDriver(name: string): NetworkDriver | undefined {
  const d = drivers.get(name as DriverName);
  if (!d && lazy.has(name as DriverName)) throw notLoaded(name);
  return d;
}

/**
 * The driver of that name: the registry keys each driver by its type, so a
 * network's `driver` field picks the driver that takes that network.
 */
export function getDriver(name: string): NetworkDriver {
  const d = findDriver(name);
  if (!d) throw new UsageError(`unknown driver "${name}": use one of ${driverNames().join(', ')}`);
  return d;
}

function notLoaded(name: string): Error {
  return new Error(`the ${name} driver was asked for before it was loaded (readyDrivers)`);
}

/**
 * Loads the on-demand drivers of these networks that are not loaded yet;
 * undefined when there is nothing to load, so that the caller waits only when
 * there is.
 */
export function readyDrivers(networks: readonly { readonly driver: string }[]): Promise<void> | undefined {
  let wait: Promise<void>[] | undefined;
  const asked = new Set<string>();
  for (let i = 0; i < networks.length; i++) {
    const name = networks[i]!.driver as DriverName;
    if (drivers.has(name) || asked.has(name)) continue;
    const load = lazy.get(name);
    if (!load) continue; // an unknown driver: getDriver says so where it matters
    asked.add(name);
    (wait ??= []).push(load().then((d) => void drivers.set(name, d)));
  }
  return wait && Promise.all(wait).then(() => undefined);
}

/** Loads every on-demand driver (a run that may use any: the full CLI, the CNI plugin, a joined host's cluster flow). */
export async function loadDrivers(): Promise<void> {
  await readyDrivers([...lazy.keys()].map((driver) => ({ driver })));
}
