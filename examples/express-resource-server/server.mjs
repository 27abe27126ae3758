// An Express resource server that accepts Gatehouse access tokens, verified locally (JWKS) and
// checked against the live revocation feed. See ../README.md for the three ways in.
// After `npm run build` at the repository root:  node examples/express-resource-server/server.mjs
import express from 'express';
import { createVerifier } from '@gatehouse/verifier';
import { requireAccessToken } from '@gatehouse/verifier/express';

const env = process.env;
const gatehouseUrl = (env.GATEHOUSE_URL ?? 'http://localhost:3000').replace(/\/$/, '');

const verifier = createVerifier({
  issuer: env.GATEHOUSE_ISSUER ?? gatehouseUrl, // Gatehouse's JWT_ISSUER
  audience: env.GATEHOUSE_AUDIENCE ?? 'gatehouse', // Gatehouse's JWT_AUDIENCE
  jwksUri: `${gatehouseUrl}/.well-known/jwks.json`,
  revocations: env.REVOCATION_REDIS_URL
    ? { redisUrl: env.REVOCATION_REDIS_URL, channel: env.REVOCATION_CHANNEL }
    : {
        url: `${gatehouseUrl}/events/revocations`,
        clientId: env.GATEHOUSE_CLIENT_ID ?? 'rs1', // one of Gatehouse's INTROSPECTION_CLIENTS
        clientSecret: env.GATEHOUSE_CLIENT_SECRET ?? 's3cret',
      },
  onFeedLoss: env.ON_FEED_LOSS === 'reject' ? 'reject' : 'accept',
  accessTokenTtlSeconds: Number(env.ACCESS_TOKEN_TTL_SECONDS ?? 300),
});

// REPORT_FORBIDDEN=true: each 403 below is reported to Gatehouse (POST /oauth/signals), where
// ANOMALY_FORBIDDEN_THRESHOLD of them within the window end the session (repeated_forbidden).
const reportForbidden = env.REPORT_FORBIDDEN === 'true';

const app = express();
// Public: how this instance sees Gatehouse (feed state, keys, revocations held, signals sent).
app.get('/health', (_req, res) => res.status(verifier.status().accepting ? 200 : 503).json(verifier.status()));
app.get('/me', requireAccessToken(verifier), (req, res) => {
  const { sub, sid, role, exp } = req.auth;
  res.json({ sub, sid, role, expiresAt: new Date(exp * 1000).toISOString() });
});
app.get('/admin/report', requireAccessToken(verifier, { roles: ['admin'], reportForbidden }), (req, res) => {
  res.json({ report: 'only admins see this', by: req.auth.sub });
});

try {
  await verifier.ready(); // JWKS loaded and revocation replay complete (or fail fast)
} catch (error) {
  console.warn(`Gatehouse not reachable yet (${error.message}); serving anyway, requests wait or get 503 until it is.`);
}
const server = app.listen(Number(env.PORT ?? 4000), env.HOST ?? '127.0.0.1', () => {
  const { port } = server.address();
  console.log(`listening on http://127.0.0.1:${port} (Gatehouse at ${gatehouseUrl})`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close();
    void verifier.close();
  });
}
