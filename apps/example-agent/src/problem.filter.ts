import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import {
  StatehouseError,
  StorageUnavailableError,
  TransactionConflictError,
  TransactionNotFoundError,
  ValidationError,
} from '@statehouse/core';
import type { Request, Response } from 'express';

/**
 * Every error leaves as an RFC 9457 `application/problem+json` document with a stable `code`, like
 * the Statehouse server's: the agent's own errors (Nest HTTP exceptions) with their status, the
 * library's by class, and anything unexpected as a 500 whose detail says nothing internal (it is
 * logged instead).
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const { status, code, detail } = describe(error);
    if (status >= 500) {
      this.logger.error({
        msg: 'request failed',
        method: request.method,
        path: request.path,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    response
      .status(status)
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: `https://statehouse.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
          title: TITLES[status] ?? 'Error',
          status,
          detail,
          code,
        }),
      );
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  409: 'Conflict',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const CODES: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
};

function describe(error: unknown): { status: number; code: string; detail: string } {
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const body = error.getResponse();
    const detail =
      typeof body === 'object' && body !== null && 'message' in body
        ? String(body.message)
        : error.message;
    const code = error.name === 'SimulatedCrashError' ? 'RUN_INTERRUPTED' : CODES[status];
    return { status, code: code ?? 'HTTP_ERROR', detail };
  }
  if (error instanceof StatehouseError) {
    const status =
      error instanceof ValidationError
        ? 400
        : error instanceof TransactionNotFoundError
          ? 404
          : error instanceof TransactionConflictError
            ? 409
            : error instanceof StorageUnavailableError
              ? 503
              : 500;
    return { status, code: error.code, detail: error.message };
  }
  return { status: 500, code: 'INTERNAL', detail: 'Internal error (logged by the agent)' };
}
