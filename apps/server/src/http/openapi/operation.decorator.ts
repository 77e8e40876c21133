import { SetMetadata } from '@nestjs/common';
import type { z } from 'zod';

/** The 4XX and 5XX statuses an operation may answer (each a problem+json document). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 429 | 503;

/** The groups operations are listed in (in /docs), with their descriptions. */
export const TAGS = {
  transactions: 'Begin, stage, read inside, commit, abort',
  state: 'Committed reads: records, listings, replay',
  retention: "Retention policies and compaction: what a namespace's history keeps",
  operations: 'Probes, metrics, version, this document',
} as const;

/**
 * Who may call: `token` (a bearer token when the server has tokens), `public` (probes, docs), or
 * `token-or-public` (/metrics: a token unless the server runs with --metrics-public).
 */
export type Access = 'token' | 'public' | 'token-or-public';

/**
 * One HTTP operation: what validates its request (query, path and body schemas, read by
 * ValidQuery / ValidParams / ValidBody) and what the OpenAPI document says of it. The single
 * source of both: openapi-document.ts renders every registered route from this, and a route
 * without it stops the server at start.
 */
export interface OperationSpec {
  /** Unique, camelCase: what generated clients name the call. */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** The group it is listed under in /docs. */
  readonly tag: keyof typeof TAGS;
  readonly access: Access;
  /** Query parameters: string, integer (z.int()) or boolean fields, each optional or not. */
  readonly query?: z.ZodObject;
  /** Request headers it reads (documented; the controller reads them). */
  readonly headers?: z.ZodObject;
  /** Path parameters (`:txId` in the route is `{txId}` in the document). */
  readonly params?: z.ZodObject;
  /** The JSON body; `required: false`: a request may come without one (read as {}). */
  readonly body?: { readonly schema: z.ZodObject; readonly required: boolean };
  /** A body that is not JSON, read by the controller as a stream (e.g. NDJSON). */
  readonly streamBody?: { readonly contentType: string; readonly description: string };
  /** The success answer: its status, and its content by media type (none: an empty body). */
  readonly success: {
    readonly status: 200 | 201 | 204;
    readonly description: string;
    readonly content?: Readonly<Record<string, z.ZodType>>;
  };
  /**
   * The refusals it can answer (each rendered as problem+json with its codes). The document adds
   * those of every route of its kind: 415 to all (a body that is not JSON), 401 and 403 to `token`
   * routes, 401 to `token-or-public` ones.
   */
  readonly errors: readonly ErrorStatus[];
}

export const OPERATION = Symbol('statehouse:operation');

/** Declares a route's operation: put it under the route's @Get / @Post. */
export const ApiOperation = (spec: OperationSpec): MethodDecorator => SetMetadata(OPERATION, spec);

/** Types a spec literal (its schemas keep their types for z.infer in the controller). */
export function defineOperation<const T extends OperationSpec>(spec: T): T {
  return spec;
}

/** The operation declared on a route handler, if any. */
export function operationOf(handler: object): OperationSpec | undefined {
  return Reflect.getMetadata(OPERATION, handler) as OperationSpec | undefined;
}

type Output<S> = S extends z.ZodType ? z.output<S> : never;
/** The validated query of an operation (what @ValidQuery gives). */
export type QueryOf<T extends OperationSpec> = Output<T['query']>;
/** The validated path parameters of an operation (what @ValidParams gives). */
export type ParamsOf<T extends OperationSpec> = Output<T['params']>;
/** The validated body of an operation (what @ValidBody gives). */
export type BodyOf<T extends OperationSpec> = Output<NonNullable<T['body']>['schema']>;
/** What an operation answers as JSON: its handler returns this, so code and document agree. */
export type JsonOf<T extends OperationSpec> = Output<
  NonNullable<T['success']['content']>['application/json']
>;
