import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PermissionDeniedError, UnauthenticatedError, validateNamespace } from '@statehouse/core';
import { SERVER_CONFIG } from './injection-tokens';
import type { ServerConfig } from '../config/server-config';

/** Who is calling: the namespaces its token may use, or every namespace without authentication. */
export interface Principal {
  readonly namespaces: ReadonlySet<string> | '*';
  /**
   * Who holds the token: a hash of it (the token itself is never stored), '' without
   * authentication. A statehouse.v1 transaction belongs to the token that began it.
   */
  readonly owner: string;
  /** Who, for per-caller limits: `token #<n>` (its place in the configuration), or `anonymous`. */
  readonly id: string;
}

const ANYONE: Principal = { namespaces: '*', owner: '', id: 'anonymous' };

/** Bearer tokens scoped to namespaces (gRPC metadata `authorization` and the HTTP header alike). */
@Injectable()
export class TokenAuthenticator {
  private readonly principals = new Map<string, Principal>();

  constructor(@Inject(SERVER_CONFIG) private readonly config: ServerConfig) {
    for (const [token, namespaces] of config.tokens) {
      this.principals.set(token, {
        namespaces,
        owner: createHash('sha256').update(token).digest('base64url').slice(0, 22),
        id: `token #${this.principals.size + 1}`,
      });
    }
  }

  get enabled(): boolean {
    return this.config.tokens.size > 0;
  }

  /** The principal of an `authorization` value; UnauthenticatedError when tokens are on and it fails. */
  authenticate(authorization: string | undefined): Principal {
    if (!this.enabled) return ANYONE;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const principal = match ? this.principals.get(match[1]!) : undefined;
    if (!principal) {
      throw new UnauthenticatedError(
        authorization
          ? 'Invalid token'
          : 'Missing token: send the header "authorization: Bearer <token>"',
      );
    }
    return principal;
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

  /** PermissionDeniedError unless the principal may use `namespace`. */
  authorize(principal: Principal, namespace: string, txId?: string): void {
    if (principal.namespaces !== '*' && !principal.namespaces.has(namespace)) {
      throw new PermissionDeniedError(namespace, txId);
    }
  }
}
