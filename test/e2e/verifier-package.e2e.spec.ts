import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoggedIn, type LoggedIn } from '../support/factories.js';
import { startNode, type RunningApp } from '../support/node-process.js';
import { startApp, TEST_AUDIENCE, TEST_ISSUER, type TestApp } from '../support/test-app.js';

/**
 * Exactly what a user does: `npm pack` the verifier, install the tarball into a fresh NestJS app
 * and a fresh Express app that have their own copies of their frameworks, run them against a
 * real Gatehouse, and look at what they answer. Slow (two npm installs from the local cache and
 * a TypeScript build), so one file with generous, explicit time bounds.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const PACKAGE_DIR = path.join(ROOT, 'packages/verifier');
const run = promisify(execFile);
const INSTALL_TIMEOUT_MS = 240_000;

/** The repo's installed version of a package: the temporary apps reuse it (an npm cache hit). */
function versionOf(name: string): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, {
    cwd,
    timeout: INSTALL_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
  return stdout;
}

async function install(dir: string, dependencies: Record<string, string>): Promise<void> {
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: path.basename(dir), private: true, type: 'module', dependencies }));
  await npm(['install', '--prefer-offline', '--no-package-lock', '--loglevel=error'], dir);
}

const get = (url: string, token?: string) => fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('@gatehouse/verifier as an installed package', () => {
  let work: string;
  let tarball: string;
  let packedFiles: string[];
  let nestDir: string;
  let expressDir: string;
  let t: TestApp;
  let nest: RunningApp;
  let express: RunningApp;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'gatehouse-verifier-pack-'));
    await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: PACKAGE_DIR });
    const packed = JSON.parse(await npm(['pack', '--json', '--pack-destination', work], PACKAGE_DIR)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(work, packed[0].filename);
    packedFiles = packed[0].files.map((file) => file.path);

    nestDir = path.join(work, 'nest-app');
    expressDir = path.join(work, 'express-app');
    cpSync(path.join(ROOT, 'examples/nestjs-resource-server/src'), path.join(nestDir, 'src'), { recursive: true });
    cpSync(path.join(ROOT, 'examples/nestjs-resource-server/tsconfig.json'), path.join(nestDir, 'tsconfig.json'));
    cpSync(path.join(ROOT, 'examples/express-resource-server/server.mjs'), path.join(expressDir, 'server.mjs'));
    const exact = (...names: string[]) => Object.fromEntries(names.map((name) => [name, versionOf(name)]));
    await Promise.all([
      install(nestDir, {
        '@gatehouse/verifier': `file:${tarball}`,
        ...exact('@nestjs/common', '@nestjs/core', '@nestjs/platform-express', '@nestjs/passport', 'passport', 'passport-jwt'),
        ...exact('reflect-metadata', 'rxjs', '@types/node', '@types/passport-jwt'),
      }),
      install(expressDir, { '@gatehouse/verifier': `file:${tarball}`, ...exact('express') }),
    ]);
    await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: nestDir });

    t = await startApp({ env: { INTROSPECTION_CLIENTS: 'rs1:s3cret' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const env = {
      GATEHOUSE_URL: `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`,
      GATEHOUSE_ISSUER: TEST_ISSUER,
      GATEHOUSE_AUDIENCE: TEST_AUDIENCE,
      GATEHOUSE_CLIENT_ID: 'rs1',
      GATEHOUSE_CLIENT_SECRET: 's3cret',
      PORT: '0',
      HOST: '127.0.0.1',
    };
    [nest, express] = await Promise.all([startNode('dist/main.js', nestDir, env), startNode('server.mjs', expressDir, env)]);
  }, 2 * INSTALL_TIMEOUT_MS);

  afterAll(async () => {
    nest?.child.kill();
    express?.child.kill();
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs the built entry points with their types, and nothing else', () => {
    for (const entry of ['index', 'core', 'express', 'nestjs', 'passport']) {
      expect(packedFiles).toContain(`dist/${entry}.js`);
      expect(packedFiles).toContain(`dist/${entry}.d.ts`);
    }
    expect(packedFiles).toContain('package.json');
    expect(packedFiles.filter((file) => file.startsWith('src/') || /\.spec\.|testing/.test(file))).toEqual([]);
  });

  it('installs without the server: no Prisma, no PGlite, and the frameworks are the apps’ own', () => {
    for (const dir of [nestDir, expressDir]) {
      expect(existsSync(path.join(dir, 'node_modules/@prisma'))).toBe(false);
      expect(existsSync(path.join(dir, 'node_modules/@electric-sql'))).toBe(false);
      expect(existsSync(path.join(dir, 'node_modules/@gatehouse/verifier/node_modules'))).toBe(false);
    }
    // The peer dependency resolves to the app's copy, not the repository's.
    expect(realpathSync(path.join(nestDir, 'node_modules/@nestjs/common'))).toContain(nestDir);
  });

  describe('NestJS app, GatehouseAuthGuard', () => {
    it('401 with an RFC 6750 challenge, never a 500', async () => {
      const missing = await get(`${nest.url}/guard/me`);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      expect(await missing.json()).toMatchObject({ statusCode: 401, code: 'invalid_token' });
      const junk = await get(`${nest.url}/guard/me`, 'not.a.token');
      expect(junk.status).toBe(401);
      expect(junk.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="/);
    });

    it('403 forbidden for a role not allowed, 200 for one that is', async () => {
      const user = await createLoggedIn(t);
      const admin = await get(`${nest.url}/guard/admin`, user.accessToken);
      expect(admin.status).toBe(403);
      expect(admin.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
      expect(await admin.json()).toMatchObject({ statusCode: 403, code: 'forbidden' });
      const me = await get(`${nest.url}/guard/me`, user.accessToken);
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ sub: user.id, sid: user.sessionId, role: 'user' });
    });
  });

  describe('NestJS app, AuthGuard("gatehouse") with GatehouseStrategy (passport-jwt)', () => {
    it('401 without or with a bad token, 403 by the app’s roles guard, 200 with the mapped user', async () => {
      const user = await createLoggedIn(t);
      expect((await get(`${nest.url}/passport/me`)).status).toBe(401);
      expect((await get(`${nest.url}/passport/me`, `${user.accessToken.slice(0, -4)}AAAA`)).status).toBe(401);
      expect((await get(`${nest.url}/passport/admin`, user.accessToken)).status).toBe(403);
      const me = await get(`${nest.url}/passport/me`, user.accessToken);
      expect(me.status).toBe(200);
      expect(await me.json()).toEqual({ id: user.id, sessionId: user.sessionId, role: 'user' });
    });
  });

  describe('Express app, requireAccessToken', () => {
    it('401 with a challenge, 403, 200', async () => {
      const user = await createLoggedIn(t);
      const missing = await get(`${express.url}/me`);
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer');
      const admin = await get(`${express.url}/admin/report`, user.accessToken);
      expect(admin.status).toBe(403);
      expect(await admin.json()).toMatchObject({ code: 'forbidden' });
      const me = await get(`${express.url}/me`, user.accessToken);
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ sub: user.id, role: 'user' });
    });
  });

  it('a logout reaches all three integrations within 1 s', async () => {
    const user: LoggedIn = await createLoggedIn(t);
    const endpoints = { guard: `${nest.url}/guard/me`, passport: `${nest.url}/passport/me`, express: `${express.url}/me` };
    for (const url of Object.values(endpoints)) expect((await get(url, user.accessToken)).status).toBe(200);

    expect((await t.http.post('/auth/logout').set(user.bearer)).status).toBe(204);
    const revokedAt = performance.now();
    const survived = await Promise.all(
      Object.entries(endpoints).map(async ([name, url]) => {
        while (performance.now() - revokedAt < 5000) {
          const res = await get(url, user.accessToken);
          if (res.status === 401) return [name, performance.now() - revokedAt] as const;
          expect(res.status).toBe(200);
        }
        return [name, Infinity] as const;
      }),
    );
    console.info(`revoked token survived (ms): ${survived.map(([name, ms]) => `${name} ${ms.toFixed(1)}`).join(', ')}`);
    for (const [name, ms] of survived) expect(ms, name).toBeLessThan(1000);
    const guarded = await get(endpoints.guard, user.accessToken);
    expect(await guarded.json()).toMatchObject({ code: 'token_revoked' });
  });
});
