/**
 * An iterable over `start(signal)` whose iterator's return() ends it at once, even while it waits
 * for a commit (an async generator's own return() would wait for its next event), and which also
 * ends when the caller's `given` signal aborts.
 */
export function abortable<T>(
  start: (signal: AbortSignal) => AsyncGenerator<T, void, undefined>,
  given: AbortSignal | undefined,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const controller = new AbortController();
      const abort = (): void => controller.abort();
      if (given?.aborted) controller.abort();
      else given?.addEventListener('abort', abort, { once: true });
      const generator = start(controller.signal);
      const release = <R>(result: R): R => {
        given?.removeEventListener('abort', abort);
        return result;
      };
      return {
        next: async () => {
          try {
            const result = await generator.next();
            return result.done ? release(result) : result;
          } catch (error) {
            release(undefined);
            throw error;
          }
        },
        return: (value?: unknown) => {
          controller.abort();
          return generator.return(value as undefined).then(release);
        },
        throw: (error?: unknown) => {
          controller.abort();
          return generator.throw(error).then(release);
        },
      };
    },
  };
}
