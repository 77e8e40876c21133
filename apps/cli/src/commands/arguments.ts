import { InvalidArgumentError } from 'commander';

/** A commander option parser for an integer of at least `min` (commitTs, versions, counts). */
export function integer(min: number): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min) {
      throw new InvalidArgumentError(`must be an integer of at least ${min}`);
    }
    return value;
  };
}
