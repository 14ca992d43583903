/**
 * The host driver: the sandbox shares cnm's own network namespace. Nothing to
 * build; the sandbox's named namespace is attached to the host's (see ops).
 */
import { UsageError } from '../core/errors.js';
import type { HostNetwork } from '../core/model.js';
import type { NetworkDriver } from './types.js';

export const hostDriver: NetworkDriver<HostNetwork> = {
  type: 'host',
  hasInterfaces: false,
  knownOptions: {},
  hostGateway: false,
  joinsHostNamespace: true,
  exclusive: true,
  describe: () => 'host namespace',
  endpointLink: 'host netns',
  validate() {
    throw new UsageError('only one host network exists (the built-in "host"); it cannot be created');
  },
  network: (base, driverOpts) => ({ ...base, driver: 'host', driverOpts }),
  createNetwork: () => [],
  deleteNetwork: () => [],
  join: () => ({ host: [], sandbox: [] }),
  leave: () => [],
};
