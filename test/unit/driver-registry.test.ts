/**
 * The driver registry (src/drivers/index.ts): macvlan, ipvlan and overlay are
 * loaded only when a network of the state (or a joined host's cluster flow)
 * has one, and a caller that plans without readying them fails loudly instead
 * of planning without the driver. (Each driver's real use through the binary,
 * which loads them this way, is proven end to end by test/e2e: macvlan,
 * ipvlan, overlay, cluster.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Network } from '../../src/core/model.js';

// Each test a fresh registry, nothing loaded yet (and a session and store that use that one).
beforeEach(() => vi.resetModules());
const fresh = async () => ({
  ...(await import('../../src/drivers/index.js')),
  ...(await import('../../src/core/session.js')),
  ...(await import('../../src/core/store.js')),
  ...(await import('../../src/core/errors.js')),
});

const net = (driver: string): Network => ({ driver }) as unknown as Network;

/** A state dir whose state has one network of this driver. */
async function stateWith(Store: Awaited<ReturnType<typeof fresh>>['Store'], driver: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cnm-drivers-'));
  await new Store(dir).update((state) => void state.networks.push({ ...net(driver), id: 'a'.repeat(64), name: `n-${driver}`, subnets: [] } as unknown as Network));
  return dir;
}

const noRecovery = async () => {};

describe('the driver registry', () => {
  it('has bridge, host and none at once; the others fail loudly until loaded', async () => {
    const { driverNames, findDriver, getDriver, loadDrivers, readyDrivers, UsageError } = await fresh();
    expect(driverNames()).toEqual(['bridge', 'host', 'none', 'macvlan', 'ipvlan', 'overlay']);
    for (const d of ['bridge', 'host', 'none']) expect(getDriver(d).type).toBe(d);
    expect(readyDrivers([net('bridge'), net('none')])).toBeUndefined(); // nothing to wait for
    // Not a usage error (a user's mistake): a bug, which the CLI shows as one.
    for (const d of ['macvlan', 'ipvlan', 'overlay']) {
      expect(() => getDriver(d)).toThrow(`the ${d} driver was asked for before it was loaded (readyDrivers)`);
      expect(() => getDriver(d)).not.toThrow(UsageError);
      expect(() => findDriver(d)).toThrow(/before it was loaded/);
    }
    expect(() => getDriver('vxlan')).toThrow(new UsageError('unknown driver "vxlan": use one of bridge, host, none, macvlan, ipvlan, overlay'));
    expect(findDriver('vxlan')).toBeUndefined();
    expect(readyDrivers([net('vxlan')])).toBeUndefined(); // unknown: getDriver says so where it matters
    // Readied for networks that have one (named twice, loaded once); the others stay unloaded.
    await readyDrivers([net('bridge'), net('macvlan'), net('macvlan')]);
    expect(getDriver('macvlan').type).toBe('macvlan');
    expect(readyDrivers([net('macvlan')])).toBeUndefined();
    expect(() => getDriver('ipvlan')).toThrow(/before it was loaded/);
    await loadDrivers();
    for (const d of driverNames()) expect(getDriver(d).type).toBe(d);
    expect(driverNames()).toEqual(['bridge', 'host', 'none', 'macvlan', 'ipvlan', 'overlay']);
  });
});

describe('a session readies the drivers of its state before each update', () => {
  it('locked, and on a dry run', async () => {
    const { Session, Store, getDriver } = await fresh();
    const locked = new Session(new Store(await stateWith(Store, 'ipvlan')), noRecovery);
    const dry = new Session(new Store(await stateWith(Store, 'overlay')), noRecovery, true);
    expect(() => getDriver('ipvlan')).toThrow(/before it was loaded/);
    expect(() => getDriver('overlay')).toThrow(/before it was loaded/);
    expect(await locked.update((state) => getDriver(state.networks[0]!.driver).type)).toBe('ipvlan');
    expect(await dry.update((state) => getDriver(state.networks[0]!.driver).type)).toBe('overlay');
    expect(() => getDriver('macvlan')).toThrow(/before it was loaded/); // no state here has one
  });
});
