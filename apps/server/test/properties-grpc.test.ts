import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import type { RunningServer } from '../src/server';
import { startTestServer, struct, V1 } from './support/server';
import { anyName, anyNamespace, expectNoStrayKeys, HERE } from './support/properties';

// Generated statehouse.v1 calls (ids, names, Struct values, versions, timestamps, malformed
// messages), valid and invalid, in sequences: every call ends OK or with a status other than
// INTERNAL or UNKNOWN, with a message and the stable code; each call has a deadline, so a hang
// fails the run; the server keeps answering Health; nothing stray is left in Redis.

let server: RunningServer;
let v1: V1;
let redis: Redis;
/** The server's default namespace (an empty namespace, or a commit of an unbound transaction). */
const DEFAULT_NS = `gd-${randomBytes(5).toString('hex')}`;

beforeAll(async () => {
  server = await startTestServer({ namespace: DEFAULT_NS });
  v1 = new V1(server.grpcPort);
  redis = new Redis(process.env.REDIS_URL!);
});

afterAll(async () => {
  v1.close();
  redis.disconnect();
  await server.close();
});

type TxRef = { begun: number } | { raw: string };

type Call =
  | { rpc: 'BeginTransaction'; timeout_ms: number | undefined }
  | { rpc: 'Write'; tx: TxRef; namespace: unknown; agent_id: unknown; key: unknown; value: unknown }
  | { rpc: 'Delete'; tx: TxRef; namespace: unknown; agent_id: unknown; key: unknown }
  | { rpc: 'Commit' | 'Abort'; tx: TxRef }
  | { rpc: 'GetState' | 'ListKeys'; namespace: unknown; agent_id: unknown; key: unknown }
  | {
      rpc: 'GetStateAtVersion';
      namespace: unknown;
      agent_id: unknown;
      key: unknown;
      version: number;
    }
  | { rpc: 'ScanPrefix'; namespace: unknown; agent_id: unknown; prefix: unknown }
  | {
      rpc: 'Replay';
      namespace: unknown;
      agent_id: unknown;
      start_ts: number | undefined;
      end_ts: number | undefined;
    }
  | { rpc: 'Health' | 'Version' }
  | { rpc: 'malformed'; method: string; bytes: number[] };

/** Strings only (proto3 string fields): the names, and non-strings as their empty default. */
const text = anyName.map((value) => (typeof value === 'string' ? value : ''));
const namespaceText = anyNamespace.map((value) => (typeof value === 'string' ? value : ''));

const txRef: fc.Arbitrary<TxRef> = fc.oneof(
  { arbitrary: fc.record({ begun: fc.nat(3) }), weight: 6 },
  {
    arbitrary: fc.record({
      raw: fc.oneof(
        fc.constantFrom(
          '',
          'nope',
          '00000000-0000-4000-8000-000000000000',
          `${HERE}~00000000-0000-4000-8000-000000000000`,
          'default~not-a-uuid',
          'x'.repeat(5000),
          '\ud800',
        ),
        fc.string({ unit: 'binary', maxLength: 40 }),
      ),
    }),
    weight: 1,
  },
);

/** uint64 fields: valid, zero, and far too large. */
const uint64 = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 8 }), weight: 4 },
  fc.constantFrom(0, 2 ** 32, 2 ** 53, Number.MAX_SAFE_INTEGER),
);

/** Struct values: from JSON objects, and Structs a JSON encoder would never make. */
const structValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc
      .dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 })
      .map((json) => struct(JSON.parse(JSON.stringify(json)) as never)),
    weight: 6,
  },
  fc.constantFrom(
    undefined,
    {},
    { fields: {} },
    { fields: { a: {} } }, // a Value with no kind
    { fields: { n: { numberValue: NaN } } },
    { fields: { n: { numberValue: Infinity } } },
    { fields: { n: { numberValue: 2 ** 64 } } },
    { fields: { s: { stringValue: '\ud800' } } },
    { fields: { l: { listValue: {} } } },
    { fields: { deep: deepStruct(30) } },
    { fields: { big: { stringValue: 'x'.repeat(1024 * 1024 + 1) } } },
  ),
);

function deepStruct(depth: number): object {
  let value: object = { nullValue: 'NULL_VALUE' };
  for (let i = 0; i < depth; i++) value = { structValue: { fields: { d: value } } };
  return value;
}

const optionalTs = fc.option(uint64, { nil: undefined });

const callArbitrary: fc.Arbitrary<Call> = fc.oneof(
  {
    arbitrary: fc.record({
      rpc: fc.constant('BeginTransaction' as const),
      // Valid timeouts are long (they never fire during a run); 0 and too large are invalid.
      timeout_ms: fc.option(
        fc.oneof(fc.integer({ min: 60_000, max: 600_000 }), fc.constantFrom(0, 3_600_001, 2 ** 53)),
        { nil: undefined },
      ),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      rpc: fc.constant('Write' as const),
      tx: txRef,
      namespace: namespaceText,
      agent_id: text,
      key: text,
      value: structValue,
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      rpc: fc.constant('Delete' as const),
      tx: txRef,
      namespace: namespaceText,
      agent_id: text,
      key: text,
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ rpc: fc.constantFrom('Commit' as const, 'Abort' as const), tx: txRef }),
    weight: 3,
  },
  fc.record({
    rpc: fc.constantFrom('GetState' as const, 'ListKeys' as const),
    namespace: namespaceText,
    agent_id: text,
    key: text,
  }),
  fc.record({
    rpc: fc.constant('GetStateAtVersion' as const),
    namespace: namespaceText,
    agent_id: text,
    key: text,
    version: fc.oneof(uint64, fc.constant(0)),
  }),
  fc.record({
    rpc: fc.constant('ScanPrefix' as const),
    namespace: namespaceText,
    agent_id: text,
    prefix: fc.oneof(text, fc.constantFrom('', 'step:')),
  }),
  fc.record({
    rpc: fc.constant('Replay' as const),
    namespace: namespaceText,
    agent_id: text,
    start_ts: optionalTs,
    end_ts: optionalTs,
  }),
  fc.record({ rpc: fc.constantFrom('Health' as const, 'Version' as const) }),
  fc.record({
    rpc: fc.constant('malformed' as const),
    method: fc.constantFrom('Write', 'Commit', 'GetState', 'BeginTransaction', 'ScanPrefix'),
    bytes: fc.oneof(
      fc.array(fc.nat(255), { maxLength: 30 }),
      fc.constantFrom([0x0a, 0xff], [0x0a, 0x05, 0x61], [0xff, 0xff, 0xff, 0xff], [0x22, 0x80]),
    ),
  }),
) as fc.Arbitrary<Call>;

/** A call's deadline: far beyond any answer, so that only a hang reaches it. */
const deadline = () => Date.now() + 20_000;

type Result =
  { ok: true; response: Record<string, unknown> } | { ok: false; error: grpc.ServiceError };

function unary(method: string, request: object): Promise<Result> {
  return new Promise((resolve) => {
    (
      v1.raw as unknown as Record<
        string,
        (
          request: object,
          metadata: grpc.Metadata,
          options: grpc.CallOptions,
          callback: (error: grpc.ServiceError | null, response: Record<string, unknown>) => void,
        ) => void
      >
    )[method]!(request, v1.metadata(), { deadline: deadline() }, (error, response) =>
      resolve(error ? { ok: false, error } : { ok: true, response }),
    );
  });
}

function replay(request: object): Promise<Result> {
  return new Promise((resolve) => {
    const events: unknown[] = [];
    const stream = (
      v1.raw as unknown as {
        Replay(
          request: object,
          metadata: grpc.Metadata,
          options: grpc.CallOptions,
        ): grpc.ClientReadableStream<unknown>;
      }
    ).Replay(request, v1.metadata(), { deadline: deadline() });
    stream.on('data', (event) => events.push(event));
    stream.on('error', (error: grpc.ServiceError) => resolve({ ok: false, error }));
    stream.on('end', () => resolve({ ok: true, response: { events } }));
  });
}

/** Raw bytes as the request of `method` (a message that may not decode). */
function malformed(method: string, bytes: number[]): Promise<Result> {
  return new Promise((resolve) => {
    v1.raw.makeUnaryRequest(
      `/statehouse.v1.StatehouseService/${method}`,
      (value: Buffer) => value,
      (value: Buffer) => value,
      Buffer.from(bytes),
      v1.metadata(),
      { deadline: deadline() },
      (error, response) =>
        resolve(error ? { ok: false, error } : { ok: true, response: { bytes: response } }),
    );
  });
}

async function perform(namespace: string, begun: string[], call: Call): Promise<void> {
  const ns = (value: unknown) => (value === HERE ? namespace : value);
  const txnId = (tx: TxRef) =>
    'begun' in tx
      ? (begun[begun.length - 1 - (tx.begun % Math.max(1, begun.length))] ?? '')
      : tx.raw.split(HERE).join(namespace);
  let result: Result;
  switch (call.rpc) {
    case 'BeginTransaction':
      result = await unary(
        call.rpc,
        call.timeout_ms === undefined ? {} : { timeout_ms: call.timeout_ms },
      );
      if (result.ok) begun.push(result.response.txn_id as string);
      break;
    case 'Write':
    case 'Delete': {
      const { tx, rpc, namespace: named, ...fields } = call;
      result = await unary(rpc, { ...fields, txn_id: txnId(tx), namespace: ns(named) });
      break;
    }
    case 'Commit':
    case 'Abort':
      result = await unary(call.rpc, { txn_id: txnId(call.tx) });
      break;
    case 'Replay': {
      const { agent_id, start_ts, end_ts } = call;
      result = await replay({ agent_id, start_ts, end_ts, namespace: ns(call.namespace) });
      break;
    }
    case 'malformed':
      result = await malformed(call.method, call.bytes);
      break;
    default: {
      const { rpc, ...fields } = call;
      result = await unary(
        rpc,
        'namespace' in fields ? { ...fields, namespace: ns(fields.namespace) } : {},
      );
    }
  }
  if (result.ok) return;
  const { code, details, metadata } = result.error;
  const what = `${fc.stringify(call)} -> ${grpc.status[code]}: ${details}`;
  // Never a server failure, a hang (our deadline) or a lost server for what a client sent.
  if (
    [
      grpc.status.INTERNAL,
      grpc.status.UNKNOWN,
      grpc.status.DEADLINE_EXCEEDED,
      grpc.status.UNAVAILABLE,
    ].includes(code)
  ) {
    throw new Error(what);
  }
  if (!details || !/^[A-Z_]+$/.test(String(metadata.get('statehouse-code')[0] ?? ''))) {
    throw new Error(`${what}: no message or no statehouse-code`);
  }
}

let run = 0;

describe('generated statehouse.v1 calls', () => {
  it('end OK or with a meaningful status, never INTERNAL, UNKNOWN or a hang; nothing stray is left', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(callArbitrary, { minLength: 1, maxLength: 20 }), async (calls) => {
        // Every other run in a namespace the first rule refused (an encoded hash tag).
        const id = randomBytes(5).toString('hex');
        const namespace = run++ % 2 === 0 ? `gp-${id}` : `gp:{${id}}/ü ~%`;
        const begun: string[] = [];
        for (const call of calls) await perform(namespace, begun, call);
        expect(await unary('Health', {})).toMatchObject({ ok: true, response: { status: 'ok' } });
        for (const txn_id of begun) {
          const abort = await unary('Abort', { txn_id });
          // FAILED_PRECONDITION: it had committed.
          if (!abort.ok) expect(grpc.status[abort.error.code]).toBe('FAILED_PRECONDITION');
          // The wire transaction's own record expires.
          expect(await redis.pttl(`sh:txn:{${txn_id}}`)).toBeGreaterThan(0);
        }
        await expectNoStrayKeys(redis, namespace);
        await expectNoStrayKeys(redis, DEFAULT_NS);
      }),
      { numRuns: 100 },
    );
  });
});
