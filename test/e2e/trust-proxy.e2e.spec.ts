import { afterEach, describe, expect, it } from 'vitest';
import { createUser, eventually, uniqueEmail } from '../support/factories.js';
import { startApp, type TestApp } from '../support/test-app.js';

// Issue 8 #4: with TRUST_PROXY=true every X-Forwarded-For hop was believed, so a client chose its
// own IP for rate limits, sessions and the audit log. Supertest connects from 127.0.0.1, which
// plays the reverse proxy here; the proxy appends the address it saw (203.0.113.7) to whatever
// the client sent (6.6.6.6, a lie).

const PROXY_SAW = '203.0.113.7';
const CLIENT_CLAIMS = '6.6.6.6';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function loginThroughProxy(app: TestApp, forwardedFor: string) {
  const user = await createUser(app);
  const res = await app.http.post('/auth/login').set('x-forwarded-for', forwardedFor).send({ email: user.email, password: user.password });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const [session] = await app.sql<{ ip: string }>('SELECT ip FROM sessions WHERE id = $1', [res.body.sessionId]);
  const listed = await app.http.get('/sessions').set('authorization', `Bearer ${res.body.accessToken}`);
  let auditIp: string | undefined;
  await eventually(async () => {
    const [audit] = await app.sql<{ ip: string }>(`SELECT ip FROM audit_events WHERE user_id = $1 AND type = 'login_succeeded'`, [user.id]);
    expect(audit).toBeDefined();
    auditIp = audit.ip;
  });
  return { sessionIp: session.ip, listedIp: listed.body.sessions[0].ip as string, auditIp };
}

describe.each([
  ['1', 'one hop: the socket peer is the proxy'],
  ['127.0.0.1', 'the proxy by address'],
  ['127.0.0.0/8, 10.0.0.0/8', 'the proxies by CIDR'],
  ['loopback', "proxy-addr's name for 127.0.0.1/8 and ::1"],
])('TRUST_PROXY=%s (%s)', (trustProxy) => {
  it('sessions and the audit log record the address the proxy saw, not the one the client claims', async () => {
    t = await startApp({ env: { TRUST_PROXY: trustProxy } });
    const seen = await loginThroughProxy(t, `${CLIENT_CLAIMS}, ${PROXY_SAW}`);
    expect(seen).toEqual({ sessionIp: PROXY_SAW, listedIp: PROXY_SAW, auditIp: PROXY_SAW });
  });
});

describe('TRUST_PROXY=false (the default)', () => {
  it('ignores X-Forwarded-For entirely: the socket address is the client', async () => {
    t = await startApp({ env: { TRUST_PROXY: 'false' } });
    const seen = await loginThroughProxy(t, `${CLIENT_CLAIMS}, ${PROXY_SAW}`);
    expect(seen).toEqual({ sessionIp: '127.0.0.1', listedIp: '127.0.0.1', auditIp: '127.0.0.1' });
  });

  it('a proxy list that does not include the socket peer is not believed either', async () => {
    t = await startApp({ env: { TRUST_PROXY: '10.0.0.0/8' } });
    const seen = await loginThroughProxy(t, `${CLIENT_CLAIMS}, ${PROXY_SAW}`);
    expect(seen.sessionIp).toBe('127.0.0.1');
  });
});

describe('rate limits cannot be dodged by inventing addresses', () => {
  it.each(['false', '1'])('TRUST_PROXY=%s: a new made-up X-Forwarded-For per request still hits 429 rate_limited', async (trustProxy) => {
    t = await startApp({ env: { TRUST_PROXY: trustProxy, RATE_LIMIT_AUTH_PER_MINUTE: '3' } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.http
        .post('/auth/login')
        .set('x-forwarded-for', `198.51.100.${i}, ${PROXY_SAW}`)
        .send({ email: uniqueEmail(), password: 'not the password' });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 3).every((status) => status !== 429)).toBe(true);
    expect(statuses.slice(3)).toEqual([429, 429]);
  });
});
