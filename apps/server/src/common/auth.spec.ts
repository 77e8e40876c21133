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

  // Found by the gRPC property test: an invalid namespace on a wire transaction's first Write
  // bound the transaction to it, so every later call on it failed (Abort with NOT_FOUND).
  it('refuses an invalid namespace before anything can be bound to it', () => {
    for (const namespace of ['ü', 'a b', '{x}', 'a:b', 'x'.repeat(65), 7]) {
      expect(() => auth.namespaceOf(namespace)).toThrow(ValidationError);
    }
  });
});
