import { Inject } from '@nestjs/common';

/** The injection token of the Statehouse client (a `StatehouseApi`): override it in tests. */
export const STATEHOUSE = Symbol.for('@statehouse/nestjs:STATEHOUSE');

/** Injects the module's Statehouse client. */
export const InjectStatehouse = (): ParameterDecorator & PropertyDecorator => Inject(STATEHOUSE);
