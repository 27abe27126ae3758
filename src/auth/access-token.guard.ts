import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { extractBearerToken } from '@gatehouse/verifier/core';
import { DomainError } from '../common/domain-error.js';
import { AnomalyDetector } from '../anomalies/anomaly-detector.service.js';
import { AccessTokenService, type Role, type VerifiedToken } from '../tokens/access-token.service.js';
import { IS_PUBLIC, OPTIONAL_AUTH, ROLES, contextOf, type AuthenticatedRequest } from '../common/auth.decorators.js';

/**
 * The global guard: every route needs a valid, unrevoked access token unless marked @Public().
 * No database or network round trip on this path (DESIGN.md "The hot path"). Refusals carry
 * RFC 6750 challenges, as resource servers using @gatehouse/verifier send them.
 */
/** What a route's decorators say about its callers: read once per route, not per request. */
interface RoutePolicy {
  isPublic: boolean;
  optionalAuth: boolean;
  roles: Role[] | undefined;
}

/** The Authorization header a connection sent last, and the claims it verified to. */
interface LastOnConnection {
  header: string;
  claims: VerifiedToken;
}

@Injectable()
export class AccessTokenGuard implements CanActivate {
  /** Per controller class, per handler (one handler function may serve subclasses). */
  private readonly policies = new WeakMap<object, WeakMap<object, RoutePolicy>>();
  /** Per socket: clients keep a connection open and send the same token on it, request after request. */
  private readonly lastOnConnection = new WeakMap<object, LastOnConnection>();

  constructor(
    private readonly reflector: Reflector,
    private readonly accessTokens: AccessTokenService,
    private readonly anomalies: AnomalyDetector,
  ) {}

  /**
   * Synchronous when the token is in the verified cache (the common case): a guard that
   * answers a boolean costs Nest no promise. Only a first-seen token takes the async path.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const policy = this.policyOf(context);
    if (policy.isPublic) return true;
    // The HTTP request is the context's first argument; switchToHttp() would build an object per call to say so.
    const request = context.getArgByIndex<AuthenticatedRequest>(0);
    const header = request.headers.authorization;
    if (header === undefined && policy.optionalAuth) return true;
    const socket = request.raw.socket;
    const last = this.lastOnConnection.get(socket);
    if (last !== undefined && last.header === header) {
      // The very bytes this connection sent before, which verified then: what may have changed
      // since (expiry, revocation) is checked again, as for any cached token. Spares parsing the
      // header and hashing the whole token into the verified cache (issue 10).
      try {
        this.accessTokens.recheck(last.claims);
      } catch (error) {
        this.lastOnConnection.delete(socket);
        throw challenged(error);
      }
      return this.admit(request, last.claims, policy);
    }
    // The one bearer parser, shared with the verifier package.
    const token = extractBearerToken(header);
    if (!token || header === undefined) throw new DomainError('invalid_token', undefined, { headers: { 'www-authenticate': 'Bearer' } });
    let cached: VerifiedToken | undefined;
    try {
      cached = this.accessTokens.verifyCached(token);
    } catch (error) {
      throw challenged(error);
    }
    if (cached) {
      this.lastOnConnection.set(socket, { header, claims: cached });
      return this.admit(request, cached, policy);
    }
    return this.accessTokens.verify(token).then(
      (claims) => {
        this.lastOnConnection.set(socket, { header, claims });
        return this.admit(request, claims, policy);
      },
      (error: unknown) => {
        throw challenged(error);
      },
    );
  }

  private admit(request: AuthenticatedRequest, claims: VerifiedToken, policy: RoutePolicy): true {
    request.auth = claims;
    if (policy.roles && !policy.roles.includes(claims.role)) {
      // Counted towards repeated_forbidden off the request path (never awaited here).
      this.anomalies.forbiddenAnswered({ userId: claims.sub, sessionId: claims.sid, context: contextOf(request), source: { kind: 'gatehouse' } });
      throw withChallenge(new DomainError('forbidden'), 'insufficient_scope');
    }
    return true;
  }

  private policyOf(context: ExecutionContext): RoutePolicy {
    const handler = context.getHandler();
    const controller = context.getClass();
    let byHandler = this.policies.get(controller);
    if (!byHandler) this.policies.set(controller, (byHandler = new WeakMap()));
    let policy = byHandler.get(handler);
    if (!policy) {
      const targets = [handler, controller];
      policy = {
        isPublic: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true,
        optionalAuth: this.reflector.getAllAndOverride<boolean>(OPTIONAL_AUTH, targets) === true,
        roles: this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, targets),
      };
      byHandler.set(handler, policy);
    }
    return policy;
  }
}

/** A 401 from verification carries the RFC 6750 invalid_token challenge. */
function challenged(error: unknown): Error {
  if (error instanceof DomainError && error.status === 401) return withChallenge(error, 'invalid_token');
  return error instanceof Error ? error : new Error(String(error));
}

function withChallenge(error: DomainError, code: 'invalid_token' | 'insufficient_scope'): DomainError {
  return new DomainError(error.code, error.message, {
    cause: error.cause,
    headers: { ...error.headers, 'www-authenticate': `Bearer error="${code}", error_description="${error.message}"` },
  });
}
