import { TransactionError } from './transaction.error';

/** An input broke a rule. `field` names the input (e.g. `value.items[2]`), `rule` says what it must be. */
export class ValidationError extends TransactionError {
  override readonly code = 'VALIDATION_FAILED' as const;
  readonly field: string;
  readonly rule: string;

  constructor(field: string, rule: string) {
    super(`Invalid ${field}: ${rule}`);
    this.field = field;
    this.rule = rule;
  }
}
