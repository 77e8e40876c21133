import type * as Core from '@statehouse/core';
import type * as Client from '@statehouse/client';
import {
  StatehousePackageMissingError,
  type StatehousePackage,
} from './statehouse-package-missing.error';

interface Packages {
  '@statehouse/core': typeof Core;
  '@statehouse/client': typeof Client;
}

/**
 * Requires one of the optional peer dependencies, or returns undefined when it is not installed
 * (only that: a package that is installed but fails to load still throws its own error). Loaded
 * here, on use, so that @statehouse/nestjs works with either one alone.
 */
export function optionalPackage<P extends StatehousePackage>(name: P): Packages[P] | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional peer, loaded on use
    return require(name) as Packages[P];
  } catch (error) {
    if (isNotFound(error, name)) return undefined;
    throw error;
  }
}

/** The package the options chosen need; StatehousePackageMissingError naming it when missing. */
export function requirePackage<P extends StatehousePackage>(name: P): Packages[P] {
  const loaded = optionalPackage(name);
  if (loaded) return loaded;
  const other: StatehousePackage =
    name === '@statehouse/core' ? '@statehouse/client' : '@statehouse/core';
  throw new StatehousePackageMissingError(name, optionalPackage(other) === undefined);
}

/** Node's "cannot find module" for this package itself (not for a file or dependency inside it). */
function isNotFound(error: unknown, name: string): boolean {
  return (
    error instanceof Error &&
    (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' &&
    error.message.startsWith(`Cannot find module '${name}'`)
  );
}
