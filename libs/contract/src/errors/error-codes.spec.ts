import { status } from '@grpc/grpc-js';
import { GrpcStatus } from './grpc-status';
import { stateOfCode } from './error-codes';

describe('ERROR_CODES', () => {
  it("names gRPC statuses by @grpc/grpc-js's numbers", () => {
    for (const [name, code] of Object.entries(GrpcStatus)) {
      expect({ name, code }).toEqual({ name, code: status[name as keyof typeof status] });
    }
  });

  it('gives the state a refusal implies, and none for an unknown code', () => {
    expect(stateOfCode('CONFLICT')).toBe('aborted');
    expect(stateOfCode('TRANSACTION_TIMEOUT')).toBe('timedOut');
    expect(stateOfCode('TRANSACTION_ALREADY_COMMITTED')).toBe('committed');
    expect(stateOfCode('VALIDATION_FAILED')).toBeUndefined();
    expect(stateOfCode('toString')).toBeUndefined();
    expect(stateOfCode(undefined)).toBeUndefined();
  });
});
