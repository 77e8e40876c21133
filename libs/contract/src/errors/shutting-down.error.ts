import { StatehouseError } from './statehouse.error';

/** A stream the server ended because it is shutting down: resume it on another instance. */
export class ShuttingDownError extends StatehouseError {
  readonly code = 'SHUTTING_DOWN' as const;

  constructor() {
    super('server shutting down');
  }
}
