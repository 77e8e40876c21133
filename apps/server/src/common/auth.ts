import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PermissionDeniedError, UnauthenticatedError, validateNamespace } from '@statehouse/core';
import { SERVER_CONFIG } from './injection-tokens';
import type { ServerConfig } from '../config/server-config';
import { MetricsService } from '../observability/metrics.service';

/** Who is calling: the namespaces its token may use, or every namespace without authentication. */
export interface Principal {
  readonly namespaces: ReadonlySet<string> | '*';
  /**
   * Who holds the token: a hash of it (the token itself is never stored), '' without
   * authentication. A statehouse.v1 transaction belongs to the token that began it.
   */
  readonly owner: string;
}

const ANYONE: Principal = { namespaces: '*', owner: '' };

/** Bearer tokens scoped to namespaces (gRPC metadata `authorization` and the HTTP header alike). */
@Injectable()
export class TokenAuthenticator {
  constructor(
    @Inject(SERVER_CONFIG) private readonly config: ServerConfig,
    private readonly metrics: MetricsService,
  ) {}

  get enabled(): boolean {
    return this.config.tokens.size > 0;
  }

  /** The principal of an `authorization` value; UnauthenticatedError when tokens are on and it fails. */
  authenticate(authorization: string | undefined): Principal {
    if (!this.enabled) return ANYONE;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const namespaces = match ? this.config.tokens.get(match[1]!) : undefined;
    if (!namespaces) {
      throw new UnauthenticatedError(
        authorization
          ? 'Invalid token'
          : 'Missing token: send the header "authorization: Bearer <token>"',
      );
    }
    return {
      namespaces,
      owner: createHash('sha256').update(match![1]!).digest('base64url').slice(0, 22),
    };
  }

  /** A request's namespace: its own, or the server's default when it names none (''). */
  namespaceOf(requested: unknown): string {
    if (requested === undefined || requested === null || requested === '') {
      return this.config.namespace;
    }
    // Checked here, before anything is bound to it (a wire transaction's first write binds it).
    return validateNamespace(requested);
  }

  /** The request's namespace, once the principal is allowed to use it. */
  authorizedNamespace(principal: Principal, requested: unknown): string {
    const namespace = this.namespaceOf(requested);
    this.authorize(principal, namespace);
    return namespace;
  }

  /**
   * PermissionDeniedError unless the principal may use `namespace`. Every request's namespace
   * passes here, so it is also where the metrics learn which namespaces are served.
   */
  authorize(principal: Principal, namespace: string, txId?: string): void {
    if (principal.namespaces !== '*' && !principal.namespaces.has(namespace)) {
      throw new PermissionDeniedError(namespace, txId);
    }
    this.metrics.namespaceServed(namespace);
  }
}
