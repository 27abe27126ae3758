import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionContext } from '@nestjs/common';
import express from 'express';
import passport from 'passport';
import { afterEach, describe, expect, it } from 'vitest';
import { requireAccessToken } from './express.js';
import { GatehouseAuthGuard } from './nestjs.js';
import { GatehouseStrategy } from './passport.js';
import { useFakeGatehouse } from './testing/fake-gatehouse.fixture.js';
import { within } from './testing/outcomes.js';
import type { GatehouseVerifier } from './verifier.js';

/** Every adapter's `reportForbidden: true` against a fake Gatehouse's POST /oauth/signals. */
const fx = useFakeGatehouse();
const SID = '6f1c1d9e-3a55-4d0c-9a43-0c8f2d6b7e11';
let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listen(app: express.Express): Promise<string> {
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server!.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const call = (url: string, token?: string) => fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const reporting = () => fx.startVerifier({ signals: { flushIntervalMs: 10 } });
const bodies = () => fx.gatehouse.signals.received.map((signal) => signal.body);

async function expressApp(verifier: GatehouseVerifier): Promise<string> {
  const app = express();
  const guard = requireAccessToken(verifier, { roles: ['admin'], reportForbidden: true });
  app.get('/admin/report', guard, (_req, res) => res.json({ ok: true }));
  return listen(app);
}

describe('requireAccessToken({ reportForbidden: true })', () => {
  it('reports each 403 it answers as forbidden for the token’s session, and nothing else', async () => {
    const verifier = await reporting();
    const url = await expressApp(verifier);
    const user = fx.gatehouse.sign({ sid: SID, role: 'user' });
    for (let i = 0; i < 3; i++) expect((await call(`${url}/admin/report?secret=x`, user)).status).toBe(403);
    expect((await call(`${url}/admin/report`, fx.gatehouse.sign({ role: 'admin' }))).status).toBe(200);
    expect((await call(`${url}/admin/report`)).status).toBe(401);
    expect((await call(`${url}/admin/report`, 'not.a.token')).status).toBe(401);
    await within(5000, () => verifier.status().signals?.sent === 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const expected = { type: 'forbidden', sid: SID, detail: 'GET /admin/report: role user not in admin' };
    expect(bodies()).toEqual([expected, expected, expected]);
  });

  it('never delays the 403: every answer arrives while Gatehouse has answered no signal at all', async () => {
    const verifier = await fx.startVerifier({ signals: { flushIntervalMs: 0, maxConcurrent: 2, maxQueued: 10 } });
    const url = await expressApp(verifier);
    fx.gatehouse.signals.hold = true;
    const user = fx.gatehouse.sign({ sid: SID, role: 'user' });
    const statuses = await Promise.all(Array.from({ length: 25 }, () => call(`${url}/admin/report`, user).then((res) => res.status)));
    expect(statuses).toEqual(Array(25).fill(403));
    await within(5000, () => fx.gatehouse.signals.received.length === 2);
    expect(verifier.status().signals).toMatchObject({ sent: 0, inFlight: 2, queued: 8, droppedBy: { overflow: 15 } });
    fx.gatehouse.signals.releaseHeld();
    await within(5000, () => verifier.status().signals?.sent === 10);
  });

  it('fails at setup, not on the first 403, when the verifier cannot report', async () => {
    const off = await fx.startVerifier({ signals: false });
    expect(() => requireAccessToken(off, { reportForbidden: true })).toThrow(/reportForbidden/);
    expect(() => new GatehouseAuthGuard(off, { reportForbidden: true })).toThrow(/reportForbidden/);
    expect(() => new GatehouseStrategy({ verifier: off, reportForbidden: true })).toThrow(/reportForbidden/);
    expect(() => requireAccessToken({ verify: off.verify.bind(off) }, { reportForbidden: true })).toThrow(/reportForbidden/);
    // Without the option nothing changes.
    expect(() => requireAccessToken(off, { roles: ['admin'] })).not.toThrow();
  });
});

describe('GatehouseAuthGuard({ reportForbidden: true })', () => {
  function contextFor(request: { headers: Record<string, string>; method: string; url: string }): ExecutionContext {
    const response = { setHeader: () => undefined };
    return { switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }) } as unknown as ExecutionContext;
  }

  it('reports the 403 it throws for a role not allowed; a 401 or an allowed role reports nothing', async () => {
    const verifier = await reporting();
    const guard = new GatehouseAuthGuard(verifier, { roles: ['admin'], reportForbidden: true });
    const request = (token?: string) => ({
      headers: token ? { authorization: `Bearer ${token}` } : ({} as Record<string, string>),
      method: 'DELETE',
      url: '/users/1?x=y',
    });
    await expect(guard.canActivate(contextFor(request(fx.gatehouse.sign({ sid: SID, role: 'user' }))))).rejects.toMatchObject({ status: 403 });
    await expect(guard.canActivate(contextFor(request()))).rejects.toMatchObject({ status: 401 });
    await expect(guard.canActivate(contextFor(request(fx.gatehouse.sign({ role: 'admin' }))))).resolves.toBe(true);
    await within(5000, () => verifier.status().signals?.sent === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(bodies()).toEqual([{ type: 'forbidden', sid: SID, detail: 'DELETE /users/1: role user not in admin' }]);
  });
});

describe('GatehouseStrategy({ reportForbidden: true })', () => {
  it('reports each 403 the app answers to a request it authenticated (a roles check after passport)', async () => {
    const verifier = await reporting();
    const authenticator = new passport.Passport();
    authenticator.use(new GatehouseStrategy({ verifier, reportForbidden: true }));
    const app = express();
    const authenticate = authenticator.authenticate('gatehouse', { session: false });
    app.get('/admin', authenticate, (req, res) => {
      const { role } = req.user as { role: string };
      if (role === 'admin') res.json({ ok: true });
      else res.status(403).json({ statusCode: 403, code: 'forbidden' });
    });
    const url = await listen(app);
    expect((await call(`${url}/admin`, fx.gatehouse.sign({ sid: SID, role: 'user' }))).status).toBe(403);
    expect((await call(`${url}/admin`, fx.gatehouse.sign({ role: 'admin' }))).status).toBe(200);
    expect((await call(`${url}/admin`)).status).toBe(401);
    await within(5000, () => verifier.status().signals?.sent === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(bodies()).toEqual([{ type: 'forbidden', sid: SID, detail: 'GET /admin: answered 403' }]);
  });
});
