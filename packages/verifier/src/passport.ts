import type { KeyObject } from 'node:crypto';
import { Strategy as JwtStrategy, type StrategyOptionsWithRequest } from 'passport-jwt';
import { bearerChallenge, VerifierError } from './errors.js';
import { forbiddenReporter } from './report-forbidden.js';
import { extractBearerToken, type GatehouseClaims } from './token-rules.js';
import type { GatehouseVerifier } from './verifier.js';

export interface GatehouseStrategyOptions {
  /** The verifier whose JWKS, rules and live revocation feed the strategy uses. */
  verifier: GatehouseVerifier;
  /**
   * Report to Gatehouse, as a 'forbidden' signal, each 403 answered to a request this strategy
   * authenticated (the strategy itself answers none: roles are your own guard after
   * `AuthGuard`), seen when the response finishes. Needs Express's `req.res` (Express, or NestJS
   * on the Express platform); on Fastify call `verifier.report` where you answer 403.
   * Default false.
   */
  reportForbidden?: boolean;
}

/** What the 403 watch needs of a request: Express's `req.res`, and the method and path for the detail. */
interface WatchedRequest {
  method?: string;
  originalUrl?: string;
  url?: string;
  res?: { statusCode: number; once(event: 'finish', listener: () => void): unknown };
}

type Done = (error: unknown, user?: unknown, info?: unknown) => void;

/** Maps the verified claims to your user (passport's verify callback); default: the claims themselves. */
export type GatehouseValidate = (claims: GatehouseClaims, done: Done) => unknown;

/** What passport gives a strategy per request (passport/lib/middleware/authenticate.js). */
interface PerRequestStrategy {
  fail(challenge?: unknown, status?: number): void;
  error(error: unknown): void;
}

interface RequestWithHeaders {
  headers: Record<string, string | string[] | undefined>;
}

// The per-request strategy object, so the key provider can answer 503 instead of failing.
const inFlight = new WeakMap<object, PerRequestStrategy>();
// The kid whose key verified this request's token: the revocation check needs it.
const kids = new WeakMap<object, string>();

/**
 * A Passport strategy on passport-jwt for Gatehouse access tokens. passport-jwt verifies the
 * signature with the key Gatehouse's JWKS publishes for the token's kid; then the Gatehouse
 * rules (typ, claims, lifetime cap) and the live revocation feed apply before your validate
 * runs. With @nestjs/passport:
 *
 *     @Injectable()
 *     export class GatehouseJwtStrategy extends PassportStrategy(GatehouseStrategy, 'gatehouse') {
 *       constructor(verifier: GatehouseVerifier) { super({ verifier }); }
 *       validate(claims: GatehouseClaims) { return claims; }
 *     }
 *
 * and `@UseGuards(AuthGuard('gatehouse'))`. A refused token fails with an RFC 6750 challenge
 * (passport answers 401 with it as WWW-Authenticate); an unusable feed or JWKS is an error with
 * status 503 (a VerifierError, which Express and NestJS answer with its status).
 */
export class GatehouseStrategy extends JwtStrategy {
  constructor(options: GatehouseStrategyOptions, validate?: GatehouseValidate) {
    const { verifier } = options;
    const settings = verifier.settings;
    const reportForbidden = forbiddenReporter(verifier, options.reportForbidden, 'GatehouseStrategy');
    const watchFor403 = (req: WatchedRequest, claims: GatehouseClaims) => {
      const res = req.res;
      if (!reportForbidden || typeof res?.once !== 'function') return;
      res.once('finish', () => {
        if (res.statusCode === 403) reportForbidden(claims, req, 'answered 403');
      });
    };
    const strategyOptions: StrategyOptionsWithRequest = {
      jwtFromRequest: (req: RequestWithHeaders) => extractBearerToken(req.headers.authorization) ?? null,
      // jsonwebtoken's own checks; the Gatehouse rules below re-check all of them and more.
      algorithms: ['ES256'],
      issuer: settings.issuer,
      audience: settings.audience,
      jsonWebTokenOptions: { clockTolerance: settings.leewaySeconds },
      passReqToCallback: true,
      secretOrKeyProvider: (req: object, rawToken: string, done: (error: unknown, key?: KeyObject) => void) => {
        verifier.signingKeyFor(rawToken).then(
          ({ key, kid }) => {
            kids.set(req, kid);
            done(null, key);
          },
          (error: unknown) => {
            if (error instanceof VerifierError && error.status !== 503) done(error);
            else inFlight.get(req)?.error(error);
          },
        );
      },
    } as StrategyOptionsWithRequest;
    super(strategyOptions, (req: object, payload: unknown, done: Done) => {
      const kid = kids.get(req);
      if (kid === undefined || payload === null || typeof payload !== 'object') {
        done(null, false, new VerifierError('invalid_token'));
        return;
      }
      verifier.verifySignedPayload(payload as Record<string, unknown>, kid).then(
        (claims) => {
          watchFor403(req, claims);
          return validate ? void validate(claims, done) : done(null, claims);
        },
        (error: unknown) => {
          if (error instanceof VerifierError && error.status !== 503) done(null, false, error);
          else done(error);
        },
      );
    });
    this.name = 'gatehouse';
  }

  /** Every failure carries an RFC 6750 challenge, so passport can answer WWW-Authenticate. */
  override authenticate(req: RequestWithHeaders, options?: object): void {
    const perRequest = this as unknown as PerRequestStrategy;
    const fail = perRequest.fail.bind(perRequest);
    perRequest.fail = (info?: unknown) => {
      const tokenPresented = extractBearerToken(req.headers.authorization) !== undefined;
      const error = info instanceof VerifierError ? info : new VerifierError('invalid_token');
      fail(bearerChallenge(error, tokenPresented), error.status);
    };
    inFlight.set(req, perRequest);
    // passport-jwt only reads headers; its type asks for an Express request.
    super.authenticate(req as Parameters<JwtStrategy['authenticate']>[0], options);
  }
}
