import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestApp } from './test-app.js';

export interface TestUser {
  id: string;
  email: string;
  password: string;
}

export interface LoggedIn extends TestUser {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  bearer: { Authorization: string };
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomUUID().slice(0, 12)}@example.test`;
}

/** Registers through the API; `role: 'admin'` is then set in the database (there is no API for it yet). */
export async function createUser(t: TestApp, options: { role?: 'user' | 'admin'; password?: string; email?: string } = {}): Promise<TestUser> {
  const email = options.email ?? uniqueEmail(options.role ?? 'user');
  const password = options.password ?? `pw-${randomUUID()}`;
  const res = await t.http.post('/auth/register').send({ email, password });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  if (options.role === 'admin') await t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [res.body.user.id]);
  return { id: res.body.user.id, email, password };
}

export async function loginAs(t: TestApp, user: TestUser, headers: Record<string, string> = {}): Promise<LoggedIn> {
  const res = await t.http.post('/auth/login').set(headers).send({ email: user.email, password: user.password });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return {
    ...user,
    accessToken: res.body.accessToken,
    refreshToken: res.body.refreshToken,
    sessionId: res.body.sessionId,
    bearer: { Authorization: `Bearer ${res.body.accessToken}` },
  };
}

export async function createLoggedIn(t: TestApp, options: Parameters<typeof createUser>[1] = {}): Promise<LoggedIn> {
  return loginAs(t, await createUser(t, options));
}

export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

/** Polls until `check` passes or `timeoutMs` runs out (for cross-instance propagation). */
export async function eventually(check: () => Promise<void>, timeoutMs = 5000, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
