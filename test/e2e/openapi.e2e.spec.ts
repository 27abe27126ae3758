import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../support/test-app.js';

type Schema = { $ref?: string; type?: string; properties?: Record<string, Schema>; items?: Schema; required?: string[]; nullable?: boolean; enum?: unknown[] };
type Operation = { responses: Record<string, { content?: Record<string, { schema?: Schema }> }> };

describe('the OpenAPI document describes responses, not only requests', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };
  const resolve = (schema: Schema | undefined): Schema => {
    if (!schema?.$ref) return schema ?? {};
    return doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
  };
  const success = (path: string, method: string, status = '200'): Schema => {
    const response = doc.paths[path]?.[method]?.responses[status];
    expect(response, `${method.toUpperCase()} ${path} ${status}`).toBeDefined();
    return resolve(response.content?.['application/json']?.schema);
  };

  beforeAll(async () => {
    t = await startApp();
    doc = (await t.http.get('/docs-json')).body;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('documents the token response of login and refresh, with the user object inside', () => {
    for (const path of ['/auth/login', '/auth/refresh']) {
      const body = success(path, 'post');
      expect(Object.keys(body.properties!).sort()).toEqual(
        ['accessToken', 'expiresIn', 'refreshExpiresIn', 'refreshToken', 'sessionId', 'tokenType', 'user'].sort(),
      );
      expect(body.required).not.toContain('refreshToken'); // absent in cookie mode
      const user = resolve(body.properties!.user);
      expect(Object.keys(user.properties!)).toEqual(expect.arrayContaining(['id', 'email', 'role', 'status', 'createdAt']));
      expect(user.properties).not.toHaveProperty('passwordHash');
    }
  });

  it('documents sessions, the admin user detail and GET /auth/session', () => {
    const sessions = success('/sessions', 'get').properties!.sessions;
    expect(sessions.type).toBe('array');
    expect(Object.keys(resolve(sessions.items).properties!)).toEqual(
      expect.arrayContaining(['id', 'createdAt', 'lastUsedAt', 'expiresAt', 'userAgent', 'ip', 'current']),
    );
    const detail = success('/admin/users/{id}', 'get');
    expect(Object.keys(detail.properties!).sort()).toEqual(['sessions', 'user']);
    expect(Object.keys(success('/auth/session', 'get').properties!).sort()).toEqual(['active', 'exp', 'iat', 'role', 'sid', 'sub']);
    expect(resolve(success('/admin/keys', 'get').properties!.keys.items).properties!.status.enum).toEqual(['active', 'retiring', 'revoked']);
  });

  it('gives every operation a documented success response: a JSON schema, or 204 / an event stream', () => {
    const undocumented: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const [status, response] = Object.entries(operation.responses).find(([code]) => code.startsWith('2')) ?? [];
        if (!status || !response) undocumented.push(`${method} ${path}: no 2xx`);
        else if (status !== '204' && !response.content?.['application/json']?.schema && !response.content?.['text/event-stream']) {
          undocumented.push(`${method} ${path}: ${status} without a body schema`);
        }
      }
    }
    expect(undocumented).toEqual([]);
  });
});
