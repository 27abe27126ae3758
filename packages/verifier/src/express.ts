import { bearerChallenge, VerifierError } from './errors.js';
import { forbiddenReporter } from './report-forbidden.js';
import { extractBearerToken, type GatehouseClaims, type Role } from './token-rules.js';
import type { GatehouseVerifier } from './verifier.js';

/** What the middleware needs of a request: Express's, or a plain node:http IncomingMessage. */
export interface RequestLike {
  headers: Record<string, string | string[] | undefined>;
  auth?: GatehouseClaims;
  /** For the detail of a reported 403 (reportForbidden). */
  method?: string;
  url?: string;
  originalUrl?: string;
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
  /** `realm` of the WWW-Authenticate challenge. Default: none. */
  realm?: string;
  /**
   * Report each 403 this middleware answers (a role not allowed) to Gatehouse as a 'forbidden'
   * signal (`verifier.report`): queued and sent in the background, never delaying the answer.
   * Default false.
   */
  reportForbidden?: boolean;
}

/**
 * Express middleware (also usable with plain node:http): verifies the bearer token, puts its
 * claims on `req.auth`, and otherwise answers with Gatehouse's error body
 * (`{ statusCode, code, message }`, API.md) and an RFC 6750 `WWW-Authenticate` challenge.
 * Unexpected errors go to `next(error)`.
 */
export function requireAccessToken(
  verifier: Pick<GatehouseVerifier, 'verify'> & Partial<Pick<GatehouseVerifier, 'report' | 'canReport'>>,
  options: RequireAccessTokenOptions = {},
): (req: RequestLike, res: ResponseLike, next: (error?: unknown) => void) => void {
  const reportForbidden = forbiddenReporter(verifier, options.reportForbidden, 'requireAccessToken');
  return (req, res, next) => {
    const token = extractBearerToken(req.headers.authorization);
    if (!token) {
      sendVerifierError(res, new VerifierError('invalid_token'), { tokenPresented: false, realm: options.realm });
      return;
    }
    verifier.verify(token).then(
      (claims) => {
        if (options.roles && !options.roles.includes(claims.role)) {
          sendVerifierError(res, new VerifierError('forbidden'), { realm: options.realm });
          reportForbidden?.(claims, req, `role ${claims.role} not in ${options.roles.join(', ')}`);
          return;
        }
        req.auth = claims;
        next();
      },
      (error: unknown) => {
        if (error instanceof VerifierError) sendVerifierError(res, error, { realm: options.realm });
        else next(error);
      },
    );
  };
}

/** Writes a VerifierError as Gatehouse's JSON error body, with its RFC 6750 challenge. */
export function sendVerifierError(
  res: ResponseLike,
  error: VerifierError,
  options: { tokenPresented?: boolean; realm?: string } = {},
): void {
  res.statusCode = error.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  const challenge = bearerChallenge(error, options.tokenPresented ?? true, options.realm);
  if (challenge) res.setHeader('www-authenticate', challenge);
  if (error.status === 503) res.setHeader('retry-after', '1');
  res.end(JSON.stringify(error.toBody()));
}
