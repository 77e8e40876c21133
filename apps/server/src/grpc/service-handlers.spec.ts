import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { LOADER_OPTIONS, PROTO_DIR as EXT_PROTO_DIR } from '@statehouse/contract';
import type { StatehouseServiceHandlers } from './generated/statehouse/v1/StatehouseService';
import type { RpcHandlers, Rpcs } from './rpc-handlers';
import { bindHandlers } from './service-handlers';
import { OperatorHandlers } from './operator.handlers';
import { StatehouseExtHandlers } from './statehouse-ext.handlers';
import { StatehouseV1Handlers } from './statehouse-v1.handlers';

const V1_PROTO = 'statehouse/v1/statehouse.proto';
const V1_SERVICE = 'statehouse.v1.StatehouseService';
const EXT_PROTO = 'statehouse_ts/v1/statehouse_ts.proto';
const EXT_SERVICE = 'statehouse_ts.v1.StatehouseExtService';

function service(proto: string, name: string): grpc.ServiceDefinition {
  return protoLoader.loadSync(proto, {
    ...LOADER_OPTIONS,
    includeDirs: [join(__dirname, 'proto'), EXT_PROTO_DIR],
  })[name] as grpc.ServiceDefinition;
}

const V1_RPCS = [
  'Health',
  'Version',
  'BeginTransaction',
  'Write',
  'Delete',
  'Commit',
  'Abort',
  'GetState',
  'GetStateAtVersion',
  'ListKeys',
  'ScanPrefix',
  'Replay',
];

describe('bindHandlers', () => {
  it('binds each RPC of the .proto to the method of that name', async () => {
    class Handlers {
      readonly answer = { status: 'ok' };
    }
    for (const rpc of V1_RPCS) {
      Object.defineProperty(Handlers.prototype, rpc, {
        value: function (this: Handlers) {
          return Promise.resolve({ rpc, answer: this.answer });
        },
      });
    }
    const bound = bindHandlers(service(V1_PROTO, V1_SERVICE), new Handlers(), {
      proto: V1_PROTO,
      service: V1_SERVICE,
    });
    expect(bound.map(({ method }) => method)).toEqual(V1_RPCS);
    const replay = bound.find(({ method }) => method === 'Replay')!;
    expect(replay.definition.responseStream).toBe(true);
    // Bound: `this` is the handler object, as when Nest's instance is called.
    const handler = replay.handler as (request: object, context: never, write: never) => unknown;
    await expect(handler({}, undefined as never, undefined as never)).resolves.toEqual({
      rpc: 'Replay',
      answer: { status: 'ok' },
    });
  });

  it('refuses at start, in one error, RPCs without a handler and handlers without an RPC', () => {
    class Drifted {
      Health(): Promise<object> {
        return Promise.resolve({});
      }
      Versions(): Promise<object> {
        return Promise.resolve({});
      }
    }
    for (const rpc of V1_RPCS.filter((name) => !['Health', 'Version', 'Replay'].includes(name))) {
      Object.defineProperty(Drifted.prototype, rpc, { value: () => Promise.resolve({}) });
    }
    const bind = (): unknown =>
      bindHandlers(service(V1_PROTO, V1_SERVICE), new Drifted(), {
        proto: V1_PROTO,
        service: V1_SERVICE,
      });
    expect(bind).toThrow(
      'Drifted does not match statehouse.v1.StatehouseService (statehouse/v1/statehouse.proto): ' +
        'no handler for Version, Replay; handlers without an RPC: Versions.',
    );
  });

  it('finds every RPC of both services in the server handler classes', () => {
    // The prototypes alone: the methods, without Nest's dependencies.
    for (const [proto, name, handlers] of [
      [V1_PROTO, V1_SERVICE, StatehouseV1Handlers.prototype],
      [EXT_PROTO, EXT_SERVICE, [StatehouseExtHandlers.prototype, OperatorHandlers.prototype]],
    ] as const) {
      const definition = service(proto, name);
      const bound = bindHandlers(definition, handlers, { proto, service: name });
      expect(bound.map(({ method }) => method)).toEqual(Object.keys(definition));
    }
  });
});

/*
 * Compile-time: the handler classes are typed from the generated types, so drift from the .proto
 * does not build. `npm run typecheck` holds these (each @ts-expect-error fails if its line compiles).
 */
type V1 = Rpcs<StatehouseServiceHandlers>;

// @ts-expect-error: a handler object without Version (and the others) is not a V1 implementation.
export const incomplete: RpcHandlers<V1> = { Health: () => Promise.resolve({ status: 'ok' }) };

export function misspelledRequestField(request: V1['Write']['request']): unknown {
  // @ts-expect-error: the field is agent_id (keepCase), not agentId.
  return request.agentId;
}

export function misspelledResponseField(): V1['Commit']['response'] {
  // @ts-expect-error: CommitResponse has commit_ts, not commitTs.
  return { commitTs: 1 };
}
