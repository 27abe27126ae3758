import { AuthError, type AuthClient } from '../../client/src/gatehouse-client.js';

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
}

export type Api = <T = unknown>(path: string, options?: CallOptions) => Promise<T>;

/** JSON calls through the client (token attached, refreshed once when it expired); errors as AuthError. */
export function createApi(client: AuthClient): Api {
  return async <T>(path: string, options: CallOptions = {}) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
    }
    const search = query.size ? `?${query}` : '';
    const response = await client.fetch(path + search, {
      method: options.method ?? 'GET',
      headers: options.body === undefined ? {} : { 'content-type': 'application/json' },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    const body = parse(text);
    if (!response.ok) {
      const retryAfter = Number(response.headers.get('retry-after')) || undefined;
      throw new AuthError(
        response.status,
        typeof body?.code === 'string' ? body.code : `http_${response.status}`,
        typeof body?.message === 'string' ? body.message : response.statusText,
        body?.details as { field: string; message: string }[] | undefined,
        retryAfter,
      );
    }
    return body as T;
  };
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // not JSON (a proxy's error page): the status alone tells the story
  }
}
