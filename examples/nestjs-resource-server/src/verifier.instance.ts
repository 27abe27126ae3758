import { createVerifier, type GatehouseVerifier } from '@gatehouse/verifier';

/**
 * One verifier per process: it holds the JWKS, the revocation feed and the revocation list.
 * Created at import, so guards built with `new GatehouseAuthGuard(verifier)` in decorators and
 * the Passport strategy (through the module below) share it.
 */
function verifierFromEnv(env: NodeJS.ProcessEnv): GatehouseVerifier {
  const gatehouseUrl = (env.GATEHOUSE_URL ?? 'http://localhost:3000').replace(/\/$/, '');
  return createVerifier({
    issuer: env.GATEHOUSE_ISSUER ?? gatehouseUrl, // Gatehouse's JWT_ISSUER
    audience: env.GATEHOUSE_AUDIENCE ?? 'gatehouse', // Gatehouse's JWT_AUDIENCE
    jwksUri: `${gatehouseUrl}/.well-known/jwks.json`,
    revocations: {
      url: `${gatehouseUrl}/events/revocations`,
      clientId: env.GATEHOUSE_CLIENT_ID ?? 'rs1', // one of Gatehouse's INTROSPECTION_CLIENTS
      clientSecret: env.GATEHOUSE_CLIENT_SECRET ?? 's3cret',
    },
    accessTokenTtlSeconds: Number(env.ACCESS_TOKEN_TTL_SECONDS ?? 300),
  });
}

export const verifier = verifierFromEnv(process.env);

/** REPORT_FORBIDDEN=true: the 403s below are reported to Gatehouse (POST /oauth/signals, repeated_forbidden). */
export const reportForbidden = process.env.REPORT_FORBIDDEN === 'true';
