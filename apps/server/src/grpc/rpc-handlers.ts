import type * as grpc from '@grpc/grpc-js';
import type { Principal } from '../common/auth';

/** What every handler gets besides its request. */
export interface CallContext {
  readonly principal: Principal;
  /** Whether the client has cancelled or gone away (for streams). */
  readonly cancelled: () => boolean;
  /** Aborted when the client cancels or goes away (streams; never for unary calls). */
  readonly signal: AbortSignal;
}

/** Sends one message of a server stream; waits while the client is slow (until `ended` aborts). */
export type StreamWrite<Response> = (message: Response, ended?: AbortSignal) => Promise<void>;

export type UnaryHandler<Request, Response> = (
  request: Request,
  context: CallContext,
) => Promise<Response>;

export type StreamHandler<Request, Response> = (
  request: Request,
  context: CallContext,
  write: StreamWrite<Response>,
) => Promise<void>;

/** A client-streaming RPC: its requests as they arrive (a stream ends the iteration), one answer. */
export type ClientStreamHandler<Request, Response> = (
  requests: AsyncIterable<Request>,
  context: CallContext,
) => Promise<Response>;

/**
 * The RPCs of a service, from the handler interface proto-loader-gen-types generates for it
 * (`StatehouseServiceHandlers`): for each method, the request as proto-loader decodes it
 * (`X__Output`: every field optional, as `defaults: false` leaves absent ones undefined), the
 * response as it may be sent, and whether the response is a stream.
 */
export type Rpcs<Generated> = {
  // `as`: without grpc-js' index signature (UntypedServiceImplementation), only the proto's names.
  [
    M in keyof Generated as string extends M ? never : M
  ]: Generated[M] extends grpc.handleClientStreamingCall<infer Request, infer Response>
    ? { request: Request; response: Response; stream: 'client' }
    : Generated[M] extends grpc.handleServerStreamingCall<infer Request, infer Response>
      ? { request: Request; response: Response; stream: true }
      : Generated[M] extends grpc.handleUnaryCall<infer Request, infer Response>
        ? { request: Request; response: Response; stream: false }
        : never;
};

/**
 * A handler class of a service: one promise-returning method per RPC, named as in the .proto.
 * `class X implements RpcHandlers<Rpcs<…Handlers>>` makes a missing RPC, a wrong request or response
 * field a compile error; checkHandlers (grpc-server.ts) checks the names again at start.
 */
export type RpcHandlers<Service extends Record<string, { request: unknown; response: unknown }>> = {
  [M in keyof Service]: Service[M] extends { stream: true }
    ? StreamHandler<Service[M]['request'], Service[M]['response']>
    : Service[M] extends { stream: 'client' }
      ? ClientStreamHandler<Service[M]['request'], Service[M]['response']>
      : UnaryHandler<Service[M]['request'], Service[M]['response']>;
};
