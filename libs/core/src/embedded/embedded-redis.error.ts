/** Raised when no redis-server can be started; the message says how to fix it. */
export class EmbeddedRedisError extends Error {
  override readonly name: string = 'EmbeddedRedisError';
  readonly code: string = 'EMBEDDED_REDIS_FAILED';
}
