/** The none driver: the sandbox keeps only its loopback. */
import { UsageError } from '../core/errors.js';
import type { NetworkDriver } from './types.js';

export const noneDriver: NetworkDriver = {
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
  createNetwork: () => [],
  deleteNetwork: () => [],
  join: () => ({ host: [], sandbox: [] }),
  leave: () => [],
};
