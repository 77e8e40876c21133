import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import type { RunningServer } from '../src/server';
import { failure, json, startTestServer, V1 } from './support/server';

// What the gRPC services refuse or keep of unusual input: nesting depth, integers beyond 2^53,
// a truncated message, a field named __proto__.

let server: RunningServer;
let v1: V1;
let ext: V1;
let redis: Redis;
let ns: string;

beforeAll(async () => {
  server = await startTestServer();
  v1 = new V1(server.grpcPort);
  ext = new V1(server.grpcPort, undefined, 'ext');
  redis = new Redis(process.env.REDIS_URL!);
});

afterAll(async () => {
  v1.close();
  ext.close();
  await redis.quit();
  await server.close();
});

beforeEach(() => {
  ns = `gi-${randomBytes(5).toString('hex')}`;
});

/** `{ a: { a: ... { leaf: 1 } } }`, `depth` objects deep, without recursion. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

/** The same as a Struct message, built by hand (the server's converter refuses what is too deep). */
function nestedStruct(depth: number): object {
  let struct: object = { fields: { leaf: { numberValue: 1 } } };
  for (let i = 1; i < depth; i++) struct = { fields: { a: { structValue: struct } } };
  return struct;
}

async function v1Write(key: string, value: object): Promise<void> {
  const { txn_id } = await v1.call<{ txn_id: string }>('BeginTransaction');
  await v1.call('Write', { txn_id, namespace: ns, agent_id: 'agent', key, value });
  await v1.call('Commit', { txn_id });
}

async function extWrite(valueJson: string): Promise<unknown> {
  const { txn_id } = await ext.call<{ txn_id: string }>('BeginTransaction', { namespace: ns });
  return ext.call('Write', { txn_id, agent_id: 'agent', key: 'k', value_json: valueJson });
}

describe('nesting depth (at most 32 levels, what the Python SDK can decode)', () => {
  it('statehouse.v1 Write takes 32 levels and serves them back; 33 is INVALID_ARGUMENT', async () => {
    await v1Write('deep', nestedStruct(32));
    const state = await v1.call<{ value: object }>('GetState', {
      namespace: ns,
      agent_id: 'agent',
      key: 'deep',
    });
    expect(json(state.value as never)).toEqual(nested(32));
    const { txn_id } = await v1.call<{ txn_id: string }>('BeginTransaction');
    const refused = await failure(
      v1.call('Write', {
        txn_id,
        namespace: ns,
        agent_id: 'agent',
        key: 'deeper',
        value: nestedStruct(33),
      }),
    );
    expect(refused).toMatchObject({ status: 'INVALID_ARGUMENT', code: 'VALIDATION_FAILED' });
    expect(refused.message).toContain('at most 32 levels deep');
    // the transaction stays usable
    await v1.call('Write', {
      txn_id,
      namespace: ns,
      agent_id: 'agent',
      key: 'ok',
      value: nestedStruct(2),
    });
    await v1.call('Commit', { txn_id });
  });

  it('ext value_json nested 100,000 deep is INVALID_ARGUMENT, not INTERNAL; 33 levels too', async () => {
    const huge = `${'{"a":'.repeat(99_999)}{}${'}'.repeat(99_999)}`;
    const refused = await failure(extWrite(huge));
    expect(refused).toMatchObject({ status: 'INVALID_ARGUMENT', code: 'VALIDATION_FAILED' });
    expect(refused.message).toContain('value_json');
    expect((await failure(extWrite(JSON.stringify(nested(33))))).status).toBe('INVALID_ARGUMENT');
    await expect(extWrite(JSON.stringify(nested(32)))).resolves.toEqual({});
  });

  it('a value stored deeper before the limit: statehouse.v1 answers a clear error, ext serves it', async () => {
    await v1Write('legacy', nestedStruct(2));
    // As an older version stored it: rewrite the record's JSON in place.
    const [stateKey] = await redis.keys(`*{${ns}}:state`);
    const fields = await redis.hgetall(stateKey!);
    const [field, stored] = Object.entries(fields).find(([, v]) => v.includes('{'))!;
    const deep = nested(60);
    await redis.hset(
      stateKey!,
      field,
      `${stored.split(' ').slice(0, 2).join(' ')} ${JSON.stringify(deep)}`,
    );
    const request = { namespace: ns, agent_id: 'agent', key: 'legacy' };
    for (const call of [
      v1.call('GetState', request),
      v1.call('ScanPrefix', { namespace: ns, agent_id: 'agent', prefix: '' }),
    ]) {
      const refused = await failure(call);
      expect(refused).toMatchObject({ status: 'RESOURCE_EXHAUSTED', code: 'LIMIT_EXCEEDED' });
      expect(refused.message).toContain('read it over HTTP or statehouse_ts.v1');
    }
    const served = await ext.call<{ value_json: string }>('GetState', request);
    expect(JSON.parse(served.value_json)).toEqual(deep);
  });
});

describe('integers beyond 2^53 - 1', () => {
  it('ext value_json refuses them, naming the field and how to send it; safe ones stay exact', async () => {
    const refused = await failure(extWrite('{"ids":[1,9007199254740993]}'));
    expect(refused).toMatchObject({ status: 'INVALID_ARGUMENT', code: 'VALIDATION_FAILED' });
    expect(refused.message).toContain('value_json.ids[1]');
    expect(refused.message).toContain('as a string');
    const { txn_id } = await ext.call<{ txn_id: string }>('BeginTransaction', { namespace: ns });
    await ext.call('Write', {
      txn_id,
      agent_id: 'agent',
      key: 'ids',
      value_json: '{"max":9007199254740991,"min":-9007199254740991,"s":"9007199254740993"}',
    });
    await ext.call('Commit', { txn_id });
    const read = await ext.call<{ value_json: string }>('GetState', {
      namespace: ns,
      agent_id: 'agent',
      key: 'ids',
    });
    expect(read.value_json).toBe(
      '{"max":9007199254740991,"min":-9007199254740991,"s":"9007199254740993"}',
    );
  });
});

describe('a truncated protobuf message', () => {
  const raw = (path: string, bytes: Buffer): Promise<{ status: string; message: string }> => {
    const client = new grpc.Client(
      `127.0.0.1:${server.grpcPort}`,
      grpc.credentials.createInsecure(),
    );
    return new Promise((resolve) =>
      client.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        bytes,
        new grpc.Metadata(),
        (error) => {
          client.close();
          resolve({
            status: error ? grpc.status[error.code] : 'OK',
            message: error?.details ?? '',
          });
        },
      ),
    );
  };

  it('is INVALID_ARGUMENT on every RPC that has a string field 1, in both services', async () => {
    // field 1, length-delimited, 50 bytes announced, 2 present ("ns")
    const truncated = Buffer.from('0a326e73', 'hex');
    for (const path of [
      '/statehouse.v1.StatehouseService/Commit',
      '/statehouse.v1.StatehouseService/GetState',
      '/statehouse.v1.StatehouseService/Abort',
      '/statehouse_ts.v1.StatehouseExtService/GetState',
      '/statehouse_ts.v1.StatehouseExtService/Commit',
    ]) {
      expect(await raw(path, truncated)).toEqual({
        status: 'INVALID_ARGUMENT',
        message: expect.stringContaining('not a valid protobuf message') as string,
      });
    }
    // the same message complete is decoded (and answered by the RPC itself)
    expect(
      (await raw('/statehouse.v1.StatehouseService/Commit', Buffer.from('0a026e73', 'hex'))).status,
    ).toBe('NOT_FOUND');
  });
});

describe('authentication before the message', () => {
  it('refuses a call without a token before reading its message, however large', async () => {
    const TOKEN = 'grpc-input-token-0123456789';
    const secured = await startTestServer({ tokens: new Map([[TOKEN, '*']]) });
    const client = new grpc.Client(
      `127.0.0.1:${secured.grpcPort}`,
      grpc.credentials.createInsecure(),
    );
    const call = (bytes: Buffer, metadata = new grpc.Metadata()) =>
      new Promise<{ status: string; message: string }>((resolve) =>
        client.makeUnaryRequest(
          '/statehouse.v1.StatehouseService/Write',
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          metadata,
          (error) =>
            resolve({
              status: error ? grpc.status[error.code] : 'OK',
              message: error?.details ?? '',
            }),
        ),
      );
    try {
      // Larger than the server's 64 MiB limit: had it read the message, the answer would be
      // RESOURCE_EXHAUSTED; refused on its metadata, it is UNAUTHENTICATED.
      const huge = Buffer.alloc(65 * 1024 * 1024, 0x20);
      expect(await call(huge)).toEqual({
        status: 'UNAUTHENTICATED',
        message: expect.stringContaining('Missing token') as string,
      });
      // with the token, the message is read (and refused for its size)
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${TOKEN}`);
      expect((await call(huge, metadata)).status).toBe('RESOURCE_EXHAUSTED');
    } finally {
      client.close();
      await secured.close();
    }
  });
});

describe('a field named __proto__', () => {
  it('round-trips through statehouse.v1 Write and GetState, and reads back over HTTP', async () => {
    const value = JSON.parse('{"__proto__":{"polluted":true},"list":[{"__proto__":1}]}') as object;
    const { txn_id } = await v1.call<{ txn_id: string }>('BeginTransaction');
    await v1.call('Write', {
      txn_id,
      namespace: ns,
      agent_id: 'agent',
      key: 'proto',
      value: {
        fields: JSON.parse(
          '{"__proto__":{"structValue":{"fields":{"polluted":{"boolValue":true}}}},' +
            '"list":{"listValue":{"values":[{"structValue":{"fields":{"__proto__":{"numberValue":1}}}}]}}}',
        ) as object,
      },
    });
    await v1.call('Commit', { txn_id });
    const state = await v1.call<{ value: { fields: object } }>('GetState', {
      namespace: ns,
      agent_id: 'agent',
      key: 'proto',
    });
    expect(Object.keys(state.value.fields)).toEqual(['__proto__', 'list']);
    expect(JSON.stringify(json(state.value as never))).toBe(JSON.stringify(value));
    const http = await fetch(
      `http://127.0.0.1:${server.httpPort}/v1/state?namespace=${ns}&agentId=agent&key=proto`,
    );
    expect(JSON.stringify(((await http.json()) as { value: unknown }).value)).toBe(
      JSON.stringify(value),
    );
  });
});
