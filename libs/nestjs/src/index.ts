export { StatehouseModule, StatehouseLifecycle, connectStatehouse } from './statehouse.module';
export {
  STATEHOUSE_MODULE_OPTIONS,
  type StatehouseModuleOptions,
  type EmbeddedStatehouseOptions,
  type ClusterStatehouseOptions,
  type RemoteStatehouseOptions,
} from './statehouse.module-definition';
export { STATEHOUSE, InjectStatehouse } from './statehouse.constants';
export {
  Transactional,
  currentTransaction,
  type TransactionalOptions,
} from './transactional.decorator';
export { StatehouseHealthIndicator, type StatehouseHealthResult } from './statehouse.health';
export {
  StatehousePackageMissingError,
  type StatehousePackage,
} from './statehouse-package-missing.error';
