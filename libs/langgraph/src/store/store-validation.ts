// The rules of store namespaces and keys: LangGraph's own (BaseStore's validateNamespace) plus
// Statehouse's (no control characters), each broken rule a ValidationError naming its place.
import { ValidationError, validateName } from '@statehouse/contract';
import type { MatchCondition, Operation } from '@langchain/langgraph-checkpoint';
import { VectorSearchUnsupportedError } from '../errors/vector-search-unsupported.error';

export interface LabelRules {
  /** An empty tuple is allowed (search prefixes, listNamespaces conditions). */
  readonly allowEmpty?: boolean;
  /** 'langgraph' may be the first label (every use but put, as in BaseStore). */
  readonly allowReservedRoot?: boolean;
}

export function validateLabels(labels: unknown, field: string, rules: LabelRules = {}): string[] {
  if (!Array.isArray(labels)) {
    throw new ValidationError(field, 'must be an array of strings (a namespace tuple)');
  }
  if (labels.length === 0 && !rules.allowEmpty) {
    throw new ValidationError(field, 'must not be empty (a namespace has at least one label)');
  }
  labels.forEach((label: unknown, i) => {
    const at = `${field}[${i}]`;
    validateName(label, at); // a non-empty string without control characters
    if ((label as string).includes('.') || (label as string).includes(':')) {
      throw new ValidationError(at, "must not contain '.' or ':' (LangGraph's namespace rules)");
    }
  });
  if (labels[0] === 'langgraph' && !rules.allowReservedRoot) {
    throw new ValidationError(`${field}[0]`, "must not be 'langgraph' (reserved by LangGraph)");
  }
  return labels as string[];
}

function validatePath(condition: MatchCondition, field: string): void {
  if (condition.matchType !== 'prefix' && condition.matchType !== 'suffix') {
    throw new ValidationError(`${field}.matchType`, "must be 'prefix' or 'suffix'");
  }
  // '*' is a wildcard label; the other labels follow the namespace rules
  const labels = Array.isArray(condition.path)
    ? condition.path.map((label) => (label === '*' ? 'x' : label))
    : condition.path;
  validateLabels(labels, `${field}.path`, { allowEmpty: true, allowReservedRoot: true });
}

function validateCount(value: unknown, field: string, min: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || (value as number) < min)) {
    throw new ValidationError(field, `must be an integer of at least ${min}`);
  }
}

/** Checks every operation of a batch before any runs: a bad one fails the batch, untouched. */
export function validateOperation(op: Operation, i: number): void {
  const at = `operations[${i}]`;
  if ('namespacePrefix' in op) {
    validateLabels(op.namespacePrefix, `${at}.namespacePrefix`, {
      allowEmpty: true,
      allowReservedRoot: true,
    });
    validateCount(op.limit, `${at}.limit`, 0);
    validateCount(op.offset, `${at}.offset`, 0);
  } else if ('value' in op) {
    validateLabels(op.namespace, `${at}.namespace`, { allowReservedRoot: op.value === null });
    validateName(op.key, `${at}.key`);
    if (Array.isArray(op.index)) throw new VectorSearchUnsupportedError(`${at}.index`);
  } else if ('key' in op) {
    validateLabels(op.namespace, `${at}.namespace`, { allowReservedRoot: true });
    validateName(op.key, `${at}.key`);
  } else if ('matchConditions' in op || 'maxDepth' in op || 'limit' in op) {
    (op.matchConditions ?? []).forEach((c, j) => validatePath(c, `${at}.matchConditions[${j}]`));
    validateCount(op.maxDepth, `${at}.maxDepth`, 1);
    validateCount(op.limit, `${at}.limit`, 0);
    validateCount(op.offset, `${at}.offset`, 0);
  } else {
    throw new ValidationError(at, 'must be a get, put, search or listNamespaces operation');
  }
}
