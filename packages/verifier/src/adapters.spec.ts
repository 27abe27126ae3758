import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpException, type ExecutionContext } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractBearerToken } from './token-rules.js';
import { requireAccessToken, type RequestLike } from './express.js';
import { GatehouseAuthGuard } from './nestjs.js';
import { FakeGatehouse } from './testing/fake-gatehouse.js';
import { createVerifier, type GatehouseVerifier } from './verifier.js';

let gatehouse: FakeGatehouse;
let verifier: GatehouseVerifier;

beforeAll(async () => {
  gatehouse = await FakeGatehouse.start();
  verifier = createVerifier(gatehouse.verifierOptions());
  await verifier.ready();
});

afterAll(async () => {
  await verifier.close();
  await gatehouse.close();
});

describe('extractBearerToken', () => {
  it('takes the token of a Bearer header, case-insensitive scheme, and nothing else', () => {
    expect(extractBearerToken('Bearer a.b.c')).toBe('a.b.c');
    expect(extractBearerToken('bearer a.b.c')).toBe('a.b.c');
    expect(extractBearerToken('Basic a.b.c')).toBeUndefined();
    expect(extractBearerToken('Bearer a.b.c extra')).toBeUndefined();
    expect(extractBearerToken(undefined)).toBeUndefined();
  });
});

describe('requireAccessToken (Express-style middleware on node:http)', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const anyRole = requireAccessToken(verifier);
    const adminOnly = requireAccessToken(verifier, { roles: ['admin'] });
    server = createServer((req, res) => {
      const middleware = req.url === '/admin' ? adminOnly : anyRole;
      middleware(req, res, (error?: unknown) => {
        if (error) {
          res.statusCode = 500;
          res.end();
          return;
        }
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ sub: (req as RequestLike).auth?.sub }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('passes a valid token with its claims on req.auth', async () => {
    const res = await fetch(`${url}/`, { headers: { authorization: `Bearer ${gatehouse.sign({ sub: 'user-7' })}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: 'user-7' });
  });

  it('answers 401 with the Gatehouse error body for a missing or bad token', async () => {
    // RFC 6750 3.1: no error code when the request carried no token at all.
    const missing = await fetch(`${url}/`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(await missing.json()).toEqual({ statusCode: 401, code: 'invalid_token', message: expect.any(String) });
    const cases: Array<Record<string, string>> = [{ authorization: 'Bearer nope' }, { authorization: `Bearer ${gatehouse.signHs256()}` }];
    for (const headers of cases) {
      const res = await fetch(`${url}/`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token", error_description="The access token is missing or invalid."');
      expect(await res.json()).toEqual({ statusCode: 401, code: 'invalid_token', message: expect.any(String) });
    }
  });

  it('answers 401 token_revoked for a revoked session', async () => {
    const token = gatehouse.sign({ sid: 'middleware-revoked' });
    gatehouse.revoke({ sid: 'middleware-revoked' });
    for (;;) {
      const res = await fetch(`${url}/`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status === 401) {
        expect(((await res.json()) as { code: string }).code).toBe('token_revoked');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });

  it('answers 403 forbidden when the role is not allowed', async () => {
    const user = await fetch(`${url}/admin`, { headers: { authorization: `Bearer ${gatehouse.sign({ role: 'user' })}` } });
    const admin = await fetch(`${url}/admin`, { headers: { authorization: `Bearer ${gatehouse.sign({ role: 'admin' })}` } });
    expect(user.status).toBe(403);
    expect(((await user.json()) as { code: string }).code).toBe('forbidden');
    expect(admin.status).toBe(200);
  });
});

describe('GatehouseAuthGuard (NestJS)', () => {
  /** A request, and an Express-style response recording the headers the guard sets. */
  function contextFor(request: { headers: Record<string, string>; auth?: unknown }, headers: Record<string, string> = {}): ExecutionContext {
    const response = { setHeader: (name: string, value: string) => (headers[name.toLowerCase()] = value) };
    return { switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }) } as unknown as ExecutionContext;
  }

  it('lets a valid token through and sets request.auth', async () => {
    const request: { headers: Record<string, string>; auth?: { sub: string } } = {
      headers: { authorization: `Bearer ${gatehouse.sign({ sub: 'nest-user' })}` },
    };
    await expect(new GatehouseAuthGuard(verifier).canActivate(contextFor(request))).resolves.toBe(true);
    expect(request.auth?.sub).toBe('nest-user');
  });

  it('throws an HttpException carrying the Gatehouse error body', async () => {
    const guard = new GatehouseAuthGuard(verifier, { roles: ['admin'] });
    const missingHeaders: Record<string, string> = {};
    const wrongRoleHeaders: Record<string, string> = {};
    const missing = await guard.canActivate(contextFor({ headers: {} }, missingHeaders)).catch((error: unknown) => error);
    const wrongRole = await guard
      .canActivate(contextFor({ headers: { authorization: `Bearer ${gatehouse.sign({ role: 'user' })}` } }, wrongRoleHeaders))
      .catch((error: unknown) => error);

    expect(missingHeaders['www-authenticate']).toBe('Bearer');
    expect(wrongRoleHeaders['www-authenticate']).toMatch(/^Bearer error="insufficient_scope"/);

    expect(missing).toBeInstanceOf(HttpException);
    expect((missing as HttpException).getStatus()).toBe(401);
    expect((missing as HttpException).getResponse()).toMatchObject({ statusCode: 401, code: 'invalid_token' });
    expect((wrongRole as HttpException).getStatus()).toBe(403);
    expect((wrongRole as HttpException).getResponse()).toMatchObject({ code: 'forbidden' });
  });
});

describe('packaging', () => {
  const here = path.dirname(fileURLToPath(import.meta.url));

  /** Every module specifier statically imported by `entry` and the relative modules it reaches. */
  function staticImports(entry: string, seen = new Set<string>()): Set<string> {
    const found = new Set<string>();
    if (seen.has(entry)) return found;
    seen.add(entry);
    const source = readFileSync(entry, 'utf8');
    for (const match of source.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?from\s+)?'([^']+)'/gm)) {
      const specifier = match[1];
      if (specifier.startsWith('.')) {
        const target = path.resolve(path.dirname(entry), specifier.replace(/\.js$/, '.ts'));
        for (const nested of staticImports(target, seen)) found.add(nested);
      } else {
        found.add(specifier);
      }
    }
    return found;
  }

  it('index loads with Node built-ins only: no NestJS, no Redis client, no reflect-metadata', () => {
    const external = [...staticImports(path.join(here, 'index.ts'))];
    expect(external.filter((specifier) => !specifier.startsWith('node:'))).toEqual([]);
  });

  it('the Express adapter needs nothing but the core either', () => {
    const external = [...staticImports(path.join(here, 'express.ts'))];
    expect(external.filter((specifier) => !specifier.startsWith('node:'))).toEqual([]);
  });
});
