import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { StatehouseError, VersionCompactedError } from '@statehouse/core';
import { mapError } from '../common/error-mapping';
import type { JsonLogger } from '../observability/json-logger';

/** An RFC 9457 problem document, with the stable `code` of the error and the request id. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly requestId?: string;
  /** VERSION_COMPACTED (410): the namespace's compaction horizon, the oldest commitTs still readable. */
  readonly compactedTs?: number;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Every error of an HTTP request leaves as `application/problem+json`. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: JsonLogger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request & { requestId?: string }>();
    const response = http.getResponse<Response>();
    const problem = this.problemOf(error, request.requestId);
    if (problem.status >= 500 && problem.code === 'INTERNAL') {
      this.logger.entry('error', 'http request failed', {
        requestId: request.requestId,
        method: request.method,
        path: request.path,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
    if (response.headersSent) {
      response.end(); // a stream that failed half-way: nothing else can be said
      return;
    }
    response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  private problemOf(error: unknown, requestId: string | undefined): Problem {
    // A ValidationError of the JSON parser's verify step (a body nested too deep, an unsafe
    // integer) reaches here as the cause of an HttpException (403) made by Nest's adapter.
    const ours =
      error instanceof HttpException && error.cause instanceof StatehouseError
        ? error.cause
        : error;
    if (ours instanceof StatehouseError) {
      const mapped = mapError(ours);
      const found = problem(mapped.httpStatus, mapped.code, mapped.message, requestId);
      return ours instanceof VersionCompactedError && ours.compactedTs !== null
        ? { ...found, compactedTs: ours.compactedTs }
        : found;
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const body = error.getResponse();
      const detail =
        typeof body === 'object' && body !== null && 'message' in body
          ? String(body.message)
          : error.message;
      return problem(status, HTTP_CODES[status] ?? 'HTTP_ERROR', detail, requestId);
    }
    const parser = error as { type?: string; status?: number; message?: string };
    if (typeof parser.type === 'string' && typeof parser.status === 'number') {
      // body-parser: malformed JSON, a body too large, an unsupported charset
      const code = parser.status === 413 ? 'LIMIT_EXCEEDED' : 'VALIDATION_FAILED';
      return problem(parser.status, code, parser.message ?? parser.type, requestId);
    }
    const mapped = mapError(error);
    return problem(mapped.httpStatus, mapped.code, mapped.message, requestId);
  }
}

const HTTP_CODES: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'LIMIT_EXCEEDED',
  503: 'STORAGE_UNAVAILABLE',
};

/** A problem document: `code` is the stable code, `detail` what the client can do about it. */
export function problem(status: number, code: string, detail: string, requestId?: string): Problem {
  return {
    type: `https://statehouse.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(requestId ? { requestId } : {}),
  };
}
