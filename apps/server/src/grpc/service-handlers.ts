import type * as grpc from '@grpc/grpc-js';
import type { ClientStreamHandler, StreamHandler, UnaryHandler } from './rpc-handlers';

/** One RPC of a service: its name, proto-loader's definition, and its handler (bound). */
export interface BoundRpc {
  readonly method: string;
  readonly definition: grpc.MethodDefinition<unknown, object>;
  readonly handler:
    | UnaryHandler<unknown, object>
    | StreamHandler<unknown, object>
    | ClientStreamHandler<unknown, object>;
}

/**
 * Every RPC of `service` (as loaded from `proto`) with its handler: the method of `handlers` of the
 * same name. Unless each RPC has exactly one handler and each handler method an RPC, one error
 * naming the service, the .proto, the RPCs without a handler and the methods without an RPC (the
 * compiler checks the same against the generated types; this holds at start whatever was loaded).
 */
export function bindHandlers(
  service: grpc.ServiceDefinition,
  handlerSet: object | readonly object[],
  where: { readonly proto: string; readonly service: string },
): BoundRpc[] {
  // A service's handlers may come in several classes (one per concern), together one per RPC.
  const all = Array.isArray(handlerSet) ? (handlerSet as object[]) : [handlerSet];
  const methods = new Map<string, (...args: unknown[]) => unknown>();
  const owners = new Map<string, object>();
  for (const handlers of all) {
    for (const [name, method] of handlerMethods(handlers)) {
      if (owners.has(name)) {
        throw new Error(
          `${where.service}: both ${owners.get(name)!.constructor.name} and ` +
            `${handlers.constructor.name} handle ${name}`,
        );
      }
      owners.set(name, handlers);
      methods.set(name, method);
    }
  }
  const rpcs = Object.keys(service);
  const missing = rpcs.filter((rpc) => !methods.has(rpc));
  const extra = [...methods.keys()].filter((method) => !Object.hasOwn(service, method));
  if (missing.length > 0 || extra.length > 0) {
    const problems = [
      ...(missing.length > 0 ? [`no handler for ${missing.join(', ')}`] : []),
      ...(extra.length > 0 ? [`handlers without an RPC: ${extra.join(', ')}`] : []),
    ];
    throw new Error(
      `${all.map((h) => h.constructor.name).join(' + ')} does not match ${where.service} (${where.proto}): ` +
        `${problems.join('; ')}. Each RPC of the service needs a method of the same name, and ` +
        'nothing else (helpers go outside the class); after editing the .proto, run ' +
        '`npm run proto:types`.',
    );
  }
  return rpcs.map((method) => ({
    method,
    definition: service[method] as grpc.MethodDefinition<unknown, object>,
    handler: methods.get(method)!.bind(owners.get(method)) as BoundRpc['handler'],
  }));
}

/** The methods of `handlers`: its own functions and those of its classes, not Object's. */
function handlerMethods(handlers: object): Map<string, (...args: unknown[]) => unknown> {
  const methods = new Map<string, (...args: unknown[]) => unknown>();
  for (
    let object: object | null = handlers;
    object !== null && object !== Object.prototype;
    object = Object.getPrototypeOf(object) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(object)) {
      const value = (handlers as Record<string, unknown>)[name];
      if (name !== 'constructor' && typeof value === 'function' && !methods.has(name)) {
        methods.set(name, value as (...args: unknown[]) => unknown);
      }
    }
  }
  return methods;
}
