import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { TokenAuthenticator } from '../common/auth';
import { mapError } from '../common/error-mapping';
import { SERVER_CONFIG } from '../common/injection-tokens';
import type { ServerConfig } from '../config/server-config';
import { problem } from './problem.filter';
import type { ContextRequest } from './request-context';

/** A body larger than this (or of unknown length) takes one of the `maxLargeBodies` slots. */
export const LARGE_BODY_BYTES = 1024 * 1024;
const DEFAULT_MAX_LARGE_BODIES = 4;

/** Routes served without a token: probes, metrics, the API's description and version, /ui. */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']);

/**
 * Everything decided from a request's headers, before its body is read (the JSON parser comes
 * after): a token on every non-public route (401), a JSON media type on every body (415), and at
 * most `maxLargeBodies` large bodies read at once (503 with Retry-After). A refused request's body
 * is never read: its answer closes the connection instead.
 */
@Injectable()
export class BodyGateMiddleware implements NestMiddleware {
  private largeInFlight = 0;
  private readonly maxLargeBodies: number;

  constructor(
    private readonly auth: TokenAuthenticator,
    @Inject(SERVER_CONFIG) config: ServerConfig,
  ) {
    this.maxLargeBodies = config.maxLargeBodies ?? DEFAULT_MAX_LARGE_BODIES;
  }

  use(request: ContextRequest, response: Response, next: NextFunction): void {
    if (this.auth.enabled && !isPublic(request.path)) {
      try {
        // TokenGuard authenticates again on its routes; this is the check before the body.
        request.principal = this.auth.authenticate(request.header('authorization'));
      } catch (error) {
        const mapped = mapError(error);
        return refuse(request, response, mapped.httpStatus, mapped.code, mapped.message);
      }
    }
    const length = bodyLength(request);
    if (length === 0) return next();
    if (!isJson(request.header('content-type')) && !isSnapshotImport(request)) {
      return refuse(
        request,
        response,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `Request bodies must be JSON: send "Content-Type: application/json" (got ${
          request.header('content-type') ? `"${request.header('content-type')}"` : 'none'
        })`,
      );
    }
    if (length !== undefined && length <= LARGE_BODY_BYTES) return next();
    if (this.largeInFlight >= this.maxLargeBodies) {
      response.setHeader('retry-after', '1');
      return refuse(
        request,
        response,
        503,
        'SERVER_BUSY',
        `${this.maxLargeBodies} request bodies over 1 MiB are being read already: retry in a ` +
          'second (or on another instance)',
      );
    }
    this.largeInFlight++;
    let released = false;
    response.once('close', () => {
      if (!released) this.largeInFlight--;
      released = true;
    });
    next();
  }
}

function isPublic(path: string): boolean {
  return (
    PUBLIC_PATHS.has(path) ||
    path === '/v1/version' ||
    path.startsWith('/docs/assets/') ||
    path === '/ui' ||
    path.startsWith('/ui/')
  );
}

/** The body's announced length: 0 for none, undefined when unknown (chunked). */
function bodyLength(request: ContextRequest): number | undefined {
  if (request.header('transfer-encoding') !== undefined) return undefined;
  const length = Number(request.header('content-length') ?? 0);
  return Number.isFinite(length) ? length : undefined;
}

/** application/json or application/<something>+json, with any parameters (charset). */
function isJson(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
}

/** POST /v1/import reads an NDJSON body as a stream (OperatorController), not as JSON. */
function isSnapshotImport(request: ContextRequest): boolean {
  const type = (request.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  return request.path === '/v1/import' && type === 'application/x-ndjson';
}

/** Answers with a problem document, and closes the connection instead of reading the body. */
function refuse(
  request: ContextRequest,
  response: Response,
  status: number,
  code: string,
  detail: string,
): void {
  if (bodyLength(request) !== 0) response.setHeader('connection', 'close');
  response
    .status(status)
    .type('application/problem+json')
    .send(JSON.stringify(problem(status, code, detail, request.requestId)));
}
