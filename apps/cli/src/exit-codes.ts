/**
 * The exit codes of statehousectl (documented in the README; scripts rely on them).
 *
 * | code | meaning |
 * | --- | --- |
 * | 0 | ok |
 * | 1 | error (the server refused the request, a file is invalid, ...) |
 * | 2 | usage: a bad command, option or argument (the command's usage is printed) |
 * | 3 | not found: a record, version or transaction that does not exist |
 * | 4 | unauthenticated or denied: no token, a wrong one, or one not scoped to the namespace |
 * | 5 | unavailable: the server cannot be reached, or it cannot reach its storage |
 */
export const ExitCode = {
  Ok: 0,
  Error: 1,
  Usage: 2,
  NotFound: 3,
  Denied: 4,
  Unavailable: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
