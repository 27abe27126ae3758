// An example resource server: a plain node:http API that accepts Gatehouse access tokens,
// verified locally (JWKS) and checked against the live revocation feed. See README.md beside it.
// Run from the repository root after `npm run build`:  node examples/resource-server/server.mjs
import { createServer } from 'node:http';
import { createVerifier } from 'gatehouse/verifier';
import { requireAccessToken } from 'gatehouse/verifier/express';

const env = process.env;
const gatehouseUrl = (env.GATEHOUSE_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const port = Number(env.PORT ?? 4000);

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

const authenticated = requireAccessToken(verifier);
const adminOnly = requireAccessToken(verifier, { roles: ['admin'] });

function json(res, status, body) {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/** Runs a middleware, then the handler if it let the request through. */
function guarded(middleware, handler) {
  return (req, res) =>
    middleware(req, res, (error) => {
      if (error) {
        console.error(error);
        json(res, 500, { statusCode: 500, code: 'internal_error', message: 'An unexpected error occurred.' });
      } else {
        handler(req, res);
      }
    });
}

const routes = {
  // Public: how this instance sees Gatehouse (feed state, keys, revocations held).
  'GET /health': (_req, res) => json(res, verifier.status().accepting ? 200 : 503, verifier.status()),
  'GET /me': guarded(authenticated, (req, res) => {
    const { sub, sid, role, exp } = req.auth;
    json(res, 200, { sub, sid, role, expiresAt: new Date(exp * 1000).toISOString() });
  }),
  'GET /admin/report': guarded(adminOnly, (req, res) => json(res, 200, { report: 'only admins see this', by: req.auth.sub })),
};

const server = createServer((req, res) => {
  const route = routes[`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`];
  if (route) route(req, res);
  else json(res, 404, { statusCode: 404, code: 'not_found', message: 'Not found.' });
});

try {
  await verifier.ready(); // JWKS loaded and revocation replay complete (or fail fast)
} catch (error) {
  console.warn(`Gatehouse not reachable yet (${error.message}); serving anyway, requests wait or get 503 until it is.`);
}
server.listen(port, () => console.log(`resource server on http://localhost:${port} (Gatehouse at ${gatehouseUrl})`));

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close();
    void verifier.close();
  });
}
