import { ValidationError } from '@statehouse/contract';

/** The saver's serde could not encode a value (it threw, or gave up on it, e.g. on a BigInt). */
export class UnserializableValueError extends ValidationError {
  override readonly cause: unknown;

  constructor(field: string, reason: string, cause?: unknown) {
    super(field, `cannot be encoded by the checkpoint serde: ${reason}`);
    this.cause = cause;
  }
}
