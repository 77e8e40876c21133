/** The two packages StatehouseModule can drive; at least one must be installed beside it. */
export type StatehousePackage = '@statehouse/core' | '@statehouse/client';

const USE: Record<StatehousePackage, string> = {
  '@statehouse/core': 'the embedded engine (options with `redis` or `cluster`)',
  '@statehouse/client': 'a Statehouse server (options with `server`)',
};

/**
 * StatehouseModule was given options that need a package that is not installed: both are
 * optional peer dependencies of @statehouse/nestjs, so an application installs the one it uses.
 */
export class StatehousePackageMissingError extends Error {
  readonly code = 'STATEHOUSE_PACKAGE_MISSING' as const;

  constructor(
    readonly packageName: StatehousePackage,
    /** True when the other one is missing too. */
    neitherInstalled: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      `StatehouseModule: ${USE[packageName]} needs ${packageName}, which is not installed. ` +
        `Run \`npm install ${packageName}\`` +
        (neitherInstalled
          ? '. Neither @statehouse/core nor @statehouse/client is installed: @statehouse/nestjs ' +
            'needs one of them (the engine, or the network client of a Statehouse server).'
          : '.'),
      options,
    );
    this.name = 'StatehousePackageMissingError';
  }
}
