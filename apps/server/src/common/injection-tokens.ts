/** Injection tokens of the server's providers. */
export const SERVER_CONFIG = Symbol('SERVER_CONFIG');
export const STATEHOUSE_CLIENT = Symbol('STATEHOUSE_CLIENT');
export const REGISTRY_REDIS = Symbol('REGISTRY_REDIS');
