import { ValidationError } from '@statehouse/core';
import type { ServerConfig } from '../config/server-config';
import { TokenAuthenticator } from './auth';

describe('TokenAuthenticator.namespaceOf', () => {
  const auth = new TokenAuthenticator({
    namespace: 'default',
    tokens: new Map(),
  } as unknown as ServerConfig);

  it("gives the server's default for none, and a valid namespace as it is", () => {
    expect(auth.namespaceOf('')).toBe('default');
    expect(auth.namespaceOf(undefined)).toBe('default');
    expect(auth.namespaceOf('agents.v2_x-1')).toBe('agents.v2_x-1');
  });

  it.each([
    'team:alpha',
    'prod/eu',
    'my namespace',
    '日本語',
    '🦜',
    'a{b}',
    '~',
    '*',
    'x'.repeat(256),
  ])('accepts %p, as the official daemon does', (namespace) => {
    expect(auth.namespaceOf(namespace)).toBe(namespace);
  });

  // Found by the gRPC property test: an invalid namespace on a wire transaction's first Write
  // bound the transaction to it, so every later call on it failed (Abort with NOT_FOUND).
  it('refuses an invalid namespace before anything can be bound to it', () => {
    for (const namespace of ['a\u0000b', 'a\nb', '\u0085', 'x'.repeat(257), 'ns\ud800', 7]) {
      expect(() => auth.namespaceOf(namespace)).toThrow(ValidationError);
    }
  });
});
