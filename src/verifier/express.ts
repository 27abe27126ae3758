import type { GatehouseClaims, Role } from './access-token.js';
import { extractBearerToken } from './bearer.js';
import { VerifierError } from './verifier-error.js';
import type { GatehouseVerifier } from './verifier.js';

/** What the middleware needs of a request: Express's, or a plain node:http IncomingMessage. */
export interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
  auth?: GatehouseClaims;
}

/** What it needs of a response: Express's, or a plain node:http ServerResponse. */
export interface ResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

export interface RequireAccessTokenOptions {
  /** Only these roles may pass (others get 403 forbidden). Default: any role. */
  roles?: readonly Role[];
}

/**
 * Express middleware (also usable with plain node:http): verifies the bearer token, puts its
 * claims on `req.auth`, and otherwise answers with Gatehouse's error body
 * (`{ statusCode, code, message }`, API.md) and a `WWW-Authenticate` header on 401.
 * Unexpected errors go to `next(error)`.
 */
export function requireAccessToken(
  verifier: Pick<GatehouseVerifier, 'verify'>,
  options: RequireAccessTokenOptions = {},
): (req: RequestLike, res: ResponseLike, next: (error?: unknown) => void) => void {
  return (req, res, next) => {
    const token = extractBearerToken(req.headers.authorization);
    if (!token) {
      sendVerifierError(res, new VerifierError('invalid_token'));
      return;
    }
    verifier.verify(token).then(
      (claims) => {
        if (options.roles && !options.roles.includes(claims.role)) {
          sendVerifierError(res, new VerifierError('forbidden'));
          return;
        }
        req.auth = claims;
        next();
      },
      (error: unknown) => {
        if (error instanceof VerifierError) sendVerifierError(res, error);
        else next(error);
      },
    );
  };
}

/** Writes a VerifierError as Gatehouse's JSON error body. */
export function sendVerifierError(res: ResponseLike, error: VerifierError): void {
  res.statusCode = error.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  if (error.status === 401) res.setHeader('www-authenticate', `Bearer error="invalid_token"`);
  if (error.status === 503) res.setHeader('retry-after', '1');
  res.end(JSON.stringify(error.toBody()));
}
