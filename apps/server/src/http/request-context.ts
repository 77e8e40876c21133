import { randomUUID } from 'node:crypto';
import {
  createParamDecorator,
  Injectable,
  type CanActivate,
  type ExecutionContext,
  type NestMiddleware,
} from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { TokenAuthenticator, type Principal } from '../common/auth';
import { JsonLogger } from '../observability/json-logger';
import { MetricsService } from '../observability/metrics.service';

export type ContextRequest = Request & { requestId?: string; principal?: Principal };

/** Gives each request an id (its `x-request-id`, or a new one, echoed back), measures and logs it. */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  constructor(
    private readonly metrics: MetricsService,
    private readonly logger: JsonLogger,
  ) {}

  use(request: ContextRequest, response: Response, next: NextFunction): void {
    const given = request.header('x-request-id');
    request.requestId = given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    response.setHeader('x-request-id', request.requestId);
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // The route pattern, never the raw URL: the label's values stay a bounded set.
      const route = (request.route as { path?: string } | undefined)?.path ?? 'unmatched';
      const method = `${request.method} ${route}`;
      this.metrics.rpcDuration.observe(
        { transport: 'http', method: request.method, route, code: String(response.statusCode) },
        seconds,
      );
      const level = response.statusCode >= 500 ? 'warn' : 'debug';
      if (this.logger.enabled(level)) {
        this.logger.entry(level, 'http request', {
          requestId: request.requestId,
          method,
          status: response.statusCode,
          ms: Math.round(seconds * 1e6) / 1e3,
        });
      }
    });
    next();
  }
}

/**
 * Aborts when the client of a streamed response goes away (its response closes), also if it went
 * while the guards ran: a stream writing to nobody ends, and frees what it holds.
 */
export function clientDeparture(request: Request, response: Response): AbortSignal {
  const left = new AbortController();
  response.on('close', () => left.abort());
  if (response.closed || request.socket.destroyed) left.abort();
  return left.signal;
}

/** Authenticates the bearer token of every API request (probes and docs are public). */
@Injectable()
export class TokenGuard implements CanActivate {
  constructor(private readonly auth: TokenAuthenticator) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<ContextRequest>();
    request.principal = this.auth.authenticate(request.header('authorization'));
    return true;
  }
}

/** The authenticated principal of the request (after TokenGuard). */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal =>
    context.switchToHttp().getRequest<ContextRequest>().principal!,
);
