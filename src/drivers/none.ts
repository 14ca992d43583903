/** The none driver: the sandbox keeps only its loopback. */
import { UsageError } from '../core/errors.js';
import type { NoneNetwork } from '../core/model.js';
import type { NetworkDriver } from './types.js';

export const noneDriver: NetworkDriver<NoneNetwork> = {
  type: 'none',
  hasInterfaces: false,
  knownOptions: {},
  hostGateway: false,
  exclusive: true,
  describe: () => 'loopback only',
  endpointLink: '(none)',
  validate() {
    throw new UsageError('only one none network exists (the built-in "none"); it cannot be created');
  },
  network: (base, driverOpts) => ({ ...base, driver: 'none', driverOpts }),
  createNetwork: () => [],
  deleteNetwork: () => [],
  join: () => ({ host: [], sandbox: [] }),
  leave: () => [],
};
