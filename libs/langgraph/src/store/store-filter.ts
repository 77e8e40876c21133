// search's `filter`, with the operators of LangGraph's InMemoryStore: a field equals a value, or
// `{ $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin }` (comparisons on Number()), on top-level fields.
const OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin']);

function isOperators(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.keys(value).every((key) => OPERATORS.has(key))
  );
}

function compare(actual: unknown, op: string, expected: unknown): boolean {
  switch (op) {
    case '$eq':
      return actual === expected;
    case '$ne':
      return actual !== expected;
    case '$gt':
      return Number(actual) > Number(expected);
    case '$gte':
      return Number(actual) >= Number(expected);
    case '$lt':
      return Number(actual) < Number(expected);
    case '$lte':
      return Number(actual) <= Number(expected);
    case '$in':
      return Array.isArray(expected) && expected.includes(actual);
    default: // '$nin'
      return !Array.isArray(expected) || !expected.includes(actual);
  }
}

export function matchesFilter(
  value: Record<string, unknown>,
  filter: Record<string, unknown> | undefined,
): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([field, expected]) =>
    isOperators(expected)
      ? Object.entries(expected).every(([op, operand]) => compare(value[field], op, operand))
      : value[field] === expected,
  );
}
