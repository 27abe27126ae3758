import { expect } from 'vitest';
import { createLoggedIn, eventually, type LoggedIn } from './factories.js';
import { createTestDatabase, startApp, type TestApp } from './test-app.js';

/** Two instances on one fresh database (and the test Redis), plus an admin to review with. */
export interface Pair {
  a: TestApp;
  b: TestApp;
  admin: LoggedIn;
  close(): Promise<void>;
}

export async function startPair(env: Record<string, string>): Promise<Pair> {
  const databaseUrl = await createTestDatabase();
  const a = await startApp({ databaseUrl, env });
  const b = await startApp({ databaseUrl, env });
  const admin = await createLoggedIn(a, { role: 'admin' });
  return { a, b, admin, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

/** `ok`, or the error code GET /auth/session answers for the user's access token on `t`. */
export async function sessionStatus(t: TestApp, user: { bearer: { Authorization: string } }): Promise<string> {
  return (await t.http.get('/auth/session').set(user.bearer)).body.code ?? 'ok';
}

export const revokedOn = (t: TestApp, user: LoggedIn) => async () => expect(await sessionStatus(t, user)).toBe('token_revoked');

export async function anomaliesOf(pair: Pair, userId: string, query = ''): Promise<Array<Record<string, unknown>>> {
  const res = await pair.a.http.get(`/admin/anomalies?userId=${userId}${query}`).set(pair.admin.bearer);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.anomalies;
}

/** The user's one anomaly, once its (detached) detection has committed. */
export async function raised(pair: Pair, userId: string): Promise<Record<string, unknown>> {
  let found: Array<Record<string, unknown>> = [];
  await eventually(async () => {
    found = await anomaliesOf(pair, userId);
    expect(found).toHaveLength(1);
  }, 3000, 10);
  return found[0];
}
