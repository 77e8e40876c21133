import { z } from 'zod';
import { Inject, Injectable, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService } from '@nestjs/core';
import { createDocument, type ZodOpenApiOperationObject } from 'zod-openapi';
import { ERROR_CODES } from '@statehouse/contract';
import { SERVER_CONFIG } from '../../common/injection-tokens';
import type { ServerConfig } from '../../config/server-config';
import { operationOf, TAGS, type ErrorStatus, type OperationSpec } from './operation.decorator';
import { Problem } from './schemas';

/** A route as Nest registered it: `GET`, `/v1/transactions/{txId}/write`, its operation. */
export interface DocumentedRoute {
  readonly method: string;
  readonly path: string;
  readonly handler: string;
  readonly spec: OperationSpec | undefined;
}

/** What each refusal means; the codes of each status come from the contract's ERROR_CODES. */
const ERROR_MEANINGS: Record<ErrorStatus, string> = {
  400: 'A field breaks its rule (the detail names it), or the body is not valid JSON',
  401: 'The server has tokens and the bearer token is missing or unknown',
  403: 'The token may not use this namespace',
  404: 'The transaction or version does not exist',
  409: 'The transaction has ended, or a record it read changed since (CONFLICT)',
  410: 'The transaction passed its deadline (410 rather than 408, which HTTP clients resend by themselves), or the version was removed by retention',
  413: 'The body or the transaction is over a limit',
  415: 'A body not sent as `Content-Type: application/json` (or `application/*+json`)',
  429: 'A quota of the namespace or the token is reached; retry once transactions or streams end',
  503: 'Redis does not answer, a commit outcome is unknown, or the server is busy reading large bodies (Retry-After)',
};
/** Codes the HTTP layer answers itself (body-gate.middleware.ts), not in ERROR_CODES. */
const HTTP_CODES: Partial<Record<ErrorStatus, string[]>> = {
  415: ['UNSUPPORTED_MEDIA_TYPE'],
  503: ['SERVER_BUSY'],
};

const DESCRIPTION =
  'Transactional, versioned agent state. Authenticate with `Authorization: Bearer <token>` when the ' +
  'server has tokens. Every error is `application/problem+json` with a stable `code`; every ' +
  'response carries `x-request-id`. A request body must be sent with `Content-Type: ' +
  'application/json` (or `application/*+json`), else 415; a POST without a body needs none. JSON ' +
  'nested deeper than a value may be, or holding an integer literal beyond ±(2^53−1), is refused ' +
  'with 400 naming the field. Bodies over 1 MiB are read a few at a time per server process ' +
  '(`--max-large-bodies`, default 4): one more is answered 503 `SERVER_BUSY` with `Retry-After`. ' +
  'A transaction id is `<namespace>~<uuid>`: percent-encode it in paths.';

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the routes Nest registered and the
 * @ApiOperation of each (the schemas that validate its requests). A route without one stops the
 * server at start: nothing is served that the document does not describe.
 */
@Injectable()
export class OpenApiDocument {
  private readonly documents = new Map<string, object>();

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
  ) {}

  /** Every route of every controller, as registered (method, path in OpenAPI form). */
  routes(): DocumentedRoute[] {
    const routes: DocumentedRoute[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller) continue;
      const prefixes = pathsOf(Reflect.getMetadata(PATH_METADATA, controller));
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        for (const prefix of prefixes) {
          for (const path of pathsOf(Reflect.getMetadata(PATH_METADATA, handler))) {
            routes.push({
              method: RequestMethod[method],
              path: openApiPath(prefix, path),
              handler: `${controller.name}.${name}`,
              spec: operationOf(handler),
            });
          }
        }
      }
    }
    return routes;
  }

  /** Throws, naming them, when a route has no @ApiOperation (called at start). */
  check(): void {
    const missing = this.routes().filter((route) => !route.spec);
    if (missing.length === 0) return;
    throw new Error(
      `HTTP routes without @ApiOperation (their schemas and OpenAPI description): ${missing
        .map((r) => `${r.method} ${r.path} (${r.handler})`)
        .join(', ')}. Declare one next to the route (see docs/design.md, "The HTTP API's schemas")`,
    );
  }

  /**
   * The document for a server at `origin` (`http://host:port`): the configured address, or, when
   * the server binds every interface, the address the client reached it at.
   */
  forOrigin(origin: string, grpcPort: number): object {
    let document = this.documents.get(origin);
    if (!document) {
      document = this.build(origin, grpcPort);
      this.documents.clear(); // one origin in practice; never a growing cache
      this.documents.set(origin, document);
    }
    return document;
  }

  private build(origin: string, grpcPort: number): object {
    const paths: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
    for (const route of this.routes()) {
      (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route.spec!);
    }
    return createDocument({
      openapi: '3.1.0',
      info: {
        title: 'Statehouse HTTP API',
        version: '1',
        description: `${DESCRIPTION} gRPC: \`statehouse.v1.StatehouseService\` and \`statehouse_ts.v1.StatehouseExtService\` on port ${grpcPort}.`,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: origin, description: 'This server' }],
      tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
      security: [{ bearer: [] }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A token of --tokens (STATEHOUSE_TOKENS); none when the server has no tokens',
          },
        },
      },
      paths,
    });
  }

  /** The configured HTTP address as a URL origin; undefined when it binds every interface. */
  configuredOrigin(port: number): string | undefined {
    const host = this.config.host;
    if (host === '0.0.0.0' || host === '::') return undefined;
    const scheme = this.config.tls ? 'https' : 'http';
    return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }
}

/** A controller's or route's paths (Nest keeps one string, or a list). */
function pathsOf(metadata: unknown): string[] {
  if (Array.isArray(metadata)) return metadata as string[];
  return [typeof metadata === 'string' ? metadata : ''];
}

/** `/v1/transactions/{txId}/write` from the controller's `v1` and the route's `transactions/:txId/write`. */
function openApiPath(prefix: string, path: string): string {
  const joined = `/${[prefix, path]
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;
  return joined.replace(/:(\w+)/g, '{$1}');
}

function operation(spec: OperationSpec): ZodOpenApiOperationObject {
  const responses: ZodOpenApiOperationObject['responses'] = {
    [spec.success.status]: {
      description: spec.success.description,
      ...(spec.success.content
        ? {
            content: Object.fromEntries(
              Object.entries(spec.success.content).map(([type, schema]) => [type, { schema }]),
            ),
          }
        : {}),
    },
  };
  for (const status of errorsOf(spec)) {
    (responses as Record<string, unknown>)[String(status)] = {
      description: `${ERROR_MEANINGS[status]}. Codes: ${codesOf(status).join(', ')}`,
      content: { 'application/problem+json': { schema: Problem } },
    };
  }
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    ...(spec.access === 'public' ? { security: [] } : {}),
    ...(spec.access === 'token-or-public' ? { security: [{}, { bearer: [] }] } : {}),
    ...(spec.query || spec.params || spec.headers
      ? {
          requestParams: {
            ...(spec.query ? { query: spec.query } : {}),
            ...(spec.params ? { path: spec.params } : {}),
            ...(spec.headers ? { header: spec.headers } : {}),
          },
        }
      : {}),
    ...(spec.body
      ? {
          requestBody: {
            required: spec.body.required,
            content: { 'application/json': { schema: spec.body.schema } },
          },
        }
      : {}),
    ...(spec.streamBody
      ? {
          requestBody: {
            required: true,
            description: spec.streamBody.description,
            content: { [spec.streamBody.contentType]: { schema: z.string() } },
          },
        }
      : {}),
    responses,
  };
}

/** The operation's refusals, and those of every route of its kind (body-gate.middleware.ts). */
function errorsOf(spec: OperationSpec): ErrorStatus[] {
  const always: ErrorStatus[] = [415]; // a body that is not JSON, on any route
  if (spec.access === 'token') always.push(401, 403);
  if (spec.access === 'token-or-public') always.push(401);
  return [...new Set([...spec.errors, ...always])].sort((a, b) => a - b);
}

function codesOf(status: ErrorStatus): string[] {
  const codes = Object.entries(ERROR_CODES)
    .filter(([, entry]) => entry.httpStatus === status)
    .map(([code]) => code);
  return [...codes, ...(HTTP_CODES[status] ?? [])];
}
