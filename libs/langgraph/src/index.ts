// @statehouse/langgraph: LangGraph.js on Statehouse. A checkpoint saver (every checkpoint one
// Statehouse transaction, shared by every replica on the same Redis) and a long-term memory store.
export { StatehouseSaver, type StatehouseSaverOptions } from './saver/statehouse-saver';
export { CheckpointNotFoundError } from './errors/checkpoint-not-found.error';
export { UnserializableValueError } from './errors/unserializable-value.error';
export { StatehouseStore, type StatehouseStoreOptions } from './store/statehouse-store';
export { VectorSearchUnsupportedError } from './errors/vector-search-unsupported.error';
