import { CliError } from '../cli.error';
import { connectionOptions, normalizeAddress } from './connection-options';

describe('normalizeAddress', () => {
  it.each([
    ['127.0.0.1:50051', '127.0.0.1:50051'],
    ['localhost:7000', 'localhost:7000'],
    [':50051', '127.0.0.1:50051'],
    ['[::1]:50051', '[::1]:50051'],
    ['grpc://db.internal:50051', 'db.internal:50051'],
    ['http://db.internal:50051/', 'db.internal:50051'],
  ])('accepts %s as %s', (raw, expected) => {
    expect(normalizeAddress(raw)).toBe(expected);
  });

  it.each(['localhost', 'host:0', 'host:70000', 'host:port', 'a b:1', '::1:50051'])(
    'refuses %s with a usage error saying what an address looks like',
    (raw) => {
      const error = (() => {
        try {
          normalizeAddress(raw);
        } catch (e) {
          return e;
        }
      })() as CliError;
      expect(error).toBeInstanceOf(CliError);
      expect(error.exitCode).toBe(2);
      expect(error.message).toContain('expected host:port');
    },
  );
});

describe('connectionOptions', () => {
  it('takes the flags over the environment over the defaults', () => {
    const env = {
      STATEHOUSE_ADDR: 'env-host:1',
      STATEHOUSE_TOKEN: 'env-token',
      STATEHOUSE_NAMESPACE: 'env-ns',
    };
    expect(connectionOptions({}, {})).toEqual({
      address: '127.0.0.1:50051',
      token: undefined,
      namespace: 'default',
      namespaceGiven: false,
    });
    expect(connectionOptions({}, env)).toEqual({
      address: 'env-host:1',
      token: 'env-token',
      namespace: 'env-ns',
      namespaceGiven: true,
    });
    expect(
      connectionOptions({ address: 'flag:2', token: 'flag-token', namespace: 'flag-ns' }, env),
    ).toEqual({
      address: 'flag:2',
      token: 'flag-token',
      namespace: 'flag-ns',
      namespaceGiven: true,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(connectionOptions({}, { STATEHOUSE_ADDR: '', STATEHOUSE_NAMESPACE: ' ' })).toMatchObject(
      { address: '127.0.0.1:50051', namespace: 'default', namespaceGiven: false },
    );
  });
});
