// Reading thread_id / checkpoint_ns / checkpoint_id out of a RunnableConfig, with the typed error
// a user can act on when one is missing or unusable.
import type { RunnableConfig } from '@langchain/core/runnables';
import { ValidationError, validateName } from '@statehouse/contract';

export interface CheckpointAddress {
  readonly threadId: string;
  readonly ns: string;
  readonly checkpointId: string | undefined;
}

const FIELD = 'config.configurable';

/** thread_id as LangGraph users pass it: a string, or an integer (kept as its decimal text). */
export function readThreadId(value: unknown, field = `${FIELD}.thread_id`): string {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return validateName(value, field);
}

function readOptionalName(value: unknown, field: string, allowEmpty: boolean): string | undefined {
  if (value === undefined || value === null) return undefined;
  return validateName(value, field, { allowEmpty });
}

/** The address in `config`; undefined when it names no thread. */
export function readAddress(config: RunnableConfig): CheckpointAddress | undefined {
  const configurable = config.configurable ?? {};
  if (configurable.thread_id === undefined || configurable.thread_id === null) return undefined;
  return {
    threadId: readThreadId(configurable.thread_id),
    ns: readOptionalName(configurable.checkpoint_ns, `${FIELD}.checkpoint_ns`, true) ?? '',
    checkpointId:
      readOptionalName(configurable.checkpoint_id, `${FIELD}.checkpoint_id`, false) || undefined,
  };
}

/** The address in `config`, which must name a thread (put, putWrites). */
export function requireAddress(config: RunnableConfig, operation: string): CheckpointAddress {
  const address = readAddress(config);
  if (!address) {
    throw new ValidationError(
      `${FIELD}.thread_id`,
      `is required by ${operation}: pass { configurable: { thread_id: '...' } } so the checkpointer ` +
        'knows which thread to persist',
    );
  }
  return address;
}

/** The checkpoint_ns a listing is restricted to (undefined: every namespace). */
export function readListNs(config: RunnableConfig): string | undefined {
  return readOptionalName(config.configurable?.checkpoint_ns, `${FIELD}.checkpoint_ns`, true);
}

export function readBeforeId(before: RunnableConfig | undefined): string | undefined {
  return readOptionalName(
    before?.configurable?.checkpoint_id,
    'options.before.configurable.checkpoint_id',
    false,
  );
}
