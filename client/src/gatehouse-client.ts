/**
 * Gatehouse's browser client (API.md "Web UI and browser client"): cookie-mode sessions for
 * SPAs. The refresh token lives only in Gatehouse's HttpOnly cookie, the access token only in
 * memory (this module's closure); tabs share one session and one refresh (see tabs.ts).
 */
import { joinTabs } from './tabs.js';
import { AuthError, type AuthClient, type AuthClientOptions, type SessionEndReason, type User } from './types.js';

export { AuthError } from './types.js';
export type { AuthClient, AuthClientOptions, Credentials, Registration, SessionEndReason, User } from './types.js';

interface TokenResponse {
  accessToken: string;
  expiresIn: number;
  sessionId: string;
  user: User;
}

interface Session {
  accessToken: string;
  /** Local clock (ms) at which the token expires, from `expiresIn` (never the token's `exp`: clocks differ). */
  expiresAt: number;
  ttlMs: number;
  sessionId: string;
  user: User;
}

type Ask = { t: 'ask'; id: string; have: string | null; cause?: string };
type Reply = { t: 'reply'; to: string; s: Session | null; error?: { status: number; code: string; message: string } };
type Message = { t: 'tokens'; s: Session } | { t: 'end'; sid: string; reason: SessionEndReason } | { t: 'lead' } | Ask | Reply;

/** A question to the leader still unanswered: sent again to a new leader, or answered here if this tab leads now. */
interface Waiting {
  ask: Ask;
  answer: (reply: Reply) => void;
  lead: () => void;
}

/** Refresh answers after which the session cannot come back. */
const FINAL = new Set(['invalid_refresh_token', 'refresh_token_reused', 'session_revoked', 'account_suspended']);

export function createAuthClient(options: AuthClientOptions): AuthClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const send = options.fetch ?? globalThis.fetch.bind(globalThis);
  const livenessMs = options.livenessIntervalMs ?? 2000;
  const tabTimeoutMs = options.tabTimeoutMs ?? 5000;
  const changeListeners = new Set<(user: User | null) => void>();
  const endListeners = new Set<(reason: SessionEndReason) => void>();
  const waiting = new Map<string, Waiting>();
  let session: Session | null = null;
  let shownUser = 'null';
  let refreshing: Promise<Session | null> | null = null;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let livenessTimer: ReturnType<typeof setInterval> | undefined;
  let checking = false;

  const tabs = joinTabs<Message>(`gatehouse:${base}`, onMessage, onLead);
  const hasDocument = typeof document !== 'undefined';
  if (hasDocument) document.addEventListener('visibilitychange', onVisibility);

  function adopt(next: Session | null): void {
    session = next;
    schedule();
    watch();
    const user = JSON.stringify(next?.user ?? null);
    if (user === shownUser) return;
    shownUser = user;
    for (const listener of changeListeners) listener(next?.user ?? null);
  }

  /** Adopts a session another tab got, unless ours is the same session with a later expiry. */
  function take(next: Session): void {
    if (!session || next.sessionId !== session.sessionId || next.expiresAt > session.expiresAt) adopt(next);
  }

  function end(reason: SessionEndReason, sid = session?.sessionId): void {
    if (!session || session.sessionId !== sid) return;
    adopt(null);
    for (const listener of endListeners) listener(reason);
  }

  function endEverywhere(reason: SessionEndReason): void {
    if (!session) return;
    tabs.post({ t: 'end', sid: session.sessionId, reason });
    end(reason);
  }

  function onMessage(message: Message): void {
    if (message.t === 'tokens') take(message.s);
    else if (message.t === 'end') end(message.reason, message.sid);
    else if (message.t === 'reply') waiting.get(message.to)?.answer(message);
    // A question sent while the lead was changing hands (the old leader gone, the next one not yet
    // granted the lock) reached no leader: ask the new one instead of waiting for the timeout.
    else if (message.t === 'lead') for (const { ask } of waiting.values()) tabs.post(ask);
    else if (tabs.leads()) {
      fresh(message.have, message.cause).then(
        (s) => tabs.post({ t: 'reply', to: message.id, s }),
        (error: AuthError) => tabs.post({ t: 'reply', to: message.id, s: null, error: { status: error.status, code: error.code, message: error.message } }),
      );
    }
  }

  /** A session whose token is not `have` and not about to expire; null when the session is over. */
  function fresh(have: string | null, cause?: string): Promise<Session | null> {
    if (session && session.accessToken !== have && session.expiresAt - Date.now() > 1000) return Promise.resolve(session);
    return tabs.leads() ? refresh(cause) : askLeader(have, cause);
  }

  function askLeader(have: string | null, cause?: string): Promise<Session | null> {
    return new Promise((resolve, reject) => {
      const ask: Ask = { t: 'ask', id: Math.random().toString(36).slice(2), have, cause };
      const settle = () => {
        clearTimeout(timer);
        waiting.delete(ask.id);
      };
      // A leader that does not answer (frozen, closing) must not strand this tab.
      const timer = setTimeout(() => {
        settle();
        refresh(cause).then(resolve, reject);
      }, tabTimeoutMs);
      waiting.set(ask.id, {
        ask,
        answer: (reply) => {
          settle();
          if (reply.error) return reject(new AuthError(reply.error.status, reply.error.code, reply.error.message));
          if (reply.s) take(reply.s);
          resolve(reply.s && session);
        },
        // This tab took the lead meanwhile (the channel never echoes a tab's own question): it answers itself.
        lead: () => {
          settle();
          fresh(have, cause).then(resolve, reject);
        },
      });
      tabs.post(ask);
    });
  }

  /** One refresh through the cookie at a time (per tab, and across tabs under a lock). */
  function refresh(cause?: string): Promise<Session | null> {
    refreshing ??= tabs
      .exclusive(async () => {
        const response = await call('/auth/refresh', {});
        if (response.ok) return started((await response.json()) as TokenResponse);
        const error = await toError(response);
        if (!FINAL.has(error.code)) throw error;
        // An access token rejected as revoked whose cookie is simply gone: report the revocation.
        endEverywhere((error.code === 'invalid_refresh_token' && cause === 'token_revoked' ? cause : error.code) as SessionEndReason);
        return null;
      })
      .finally(() => (refreshing = null));
    return refreshing;
  }

  function started(body: TokenResponse): Session {
    const s: Session = {
      accessToken: body.accessToken,
      expiresAt: Date.now() + body.expiresIn * 1000,
      ttlMs: body.expiresIn * 1000,
      sessionId: body.sessionId,
      user: body.user,
    };
    adopt(s);
    tabs.post({ t: 'tokens', s });
    return s;
  }

  /** This tab just got the lead: it schedules the refreshes, and questions that found no leader are asked again. */
  function onLead(): void {
    schedule();
    for (const { lead } of [...waiting.values()]) lead();
    tabs.post({ t: 'lead' });
  }

  /** The leader refreshes a fifth of the lifetime before expiry (2 s to 60 s ahead). */
  function schedule(): void {
    clearTimeout(refreshTimer);
    if (!session || !tabs.leads()) return;
    const ahead = Math.min(60_000, Math.max(2000, session.ttlMs / 5));
    refreshTimer = setTimeout(() => {
      // A failed refresh that is not final (network, 429, 503) is retried; the token may still work.
      refresh().catch(() => (refreshTimer = setTimeout(schedule, 5000)));
    }, Math.max(0, session.expiresAt - ahead - Date.now()));
  }

  /** While the page is visible, a cheap liveness check makes revocations show within seconds. */
  function watch(): void {
    clearInterval(livenessTimer);
    if (session && livenessMs > 0 && hasDocument && document.visibilityState === 'visible') {
      livenessTimer = setInterval(check, livenessMs);
    }
  }

  function check(): void {
    if (checking || !session) return;
    checking = true;
    authFetch('/auth/session')
      .catch(() => undefined)
      .finally(() => (checking = false));
  }

  function onVisibility(): void {
    watch();
    if (document.visibilityState === 'visible') check();
  }

  function call(path: string, body: unknown): Promise<Response> {
    return guard(
      send(base + path, {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json', 'x-auth-mode': 'cookie', 'x-requested-with': 'gatehouse' },
        body: JSON.stringify(body),
      }),
    );
  }

  async function authFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(typeof input === 'string' && input.startsWith('/') ? base + input : input, init);
    let s = session;
    if (s && s.expiresAt - Date.now() < 1000) s = await fresh(s.accessToken).catch(() => s);
    const attempt = (token: string | undefined) => {
      const copy = request.clone();
      const headers = new Headers(copy.headers);
      if (token) headers.set('authorization', `Bearer ${token}`);
      return guard(send(new Request(copy, { headers })));
    };
    const response = await attempt(s?.accessToken);
    if (response.status !== 401 || !s) return response;
    const code = await response
      .clone()
      .json()
      .then((body: { code?: string }) => body.code, () => undefined);
    // Expired, or revoked with its signing key (a refresh recovers); a dead session ends here.
    if (code !== 'token_expired' && code !== 'token_revoked') return response;
    const next = await fresh(s.accessToken, code).catch(() => null);
    return next ? attempt(next.accessToken) : response;
  }

  async function expectOk(response: Response): Promise<Response> {
    if (!response.ok) throw await toError(response);
    return response;
  }

  return {
    get user() {
      return session?.user ?? null;
    },
    get sessionId() {
      return session?.sessionId ?? null;
    },
    async register(input) {
      const response = await expectOk(await call('/auth/register', input));
      return ((await response.json()) as { user: User }).user;
    },
    async login(input) {
      const response = await expectOk(await call('/auth/login', { email: input.email, password: input.password }));
      return started((await response.json()) as TokenResponse).user;
    },
    async logout() {
      const response = await call('/auth/logout', {});
      // 401: the session was already over; either way this tab's and the others' end now.
      if (!response.ok && response.status !== 401) throw await toError(response);
      endEverywhere('logged_out');
    },
    async logoutAll() {
      await expectOk(await authFetch('/auth/logout-all', { method: 'POST' }));
      endEverywhere('logged_out');
    },
    async restore() {
      await tabs.ready;
      return session ? session.user : ((await fresh(null))?.user ?? null);
    },
    fetch: authFetch,
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    onSessionEnd(listener) {
      endListeners.add(listener);
      return () => endListeners.delete(listener);
    },
    close() {
      clearTimeout(refreshTimer);
      clearInterval(livenessTimer);
      if (hasDocument) document.removeEventListener('visibilitychange', onVisibility);
      tabs.close();
    },
  };
}

/** A network failure as an AuthError (status 0), so callers handle one error type. */
async function guard(pending: Promise<Response>): Promise<Response> {
  try {
    return await pending;
  } catch (error) {
    throw new AuthError(0, 'network_error', `Gatehouse could not be reached (${(error as Error).message}).`);
  }
}

async function toError(response: Response): Promise<AuthError> {
  const body = (await response.json().catch(() => ({}))) as { code?: string; message?: string; details?: { field: string; message: string }[] };
  const retryAfter = Number(response.headers.get('retry-after')) || undefined;
  return new AuthError(response.status, body.code ?? `http_${response.status}`, body.message ?? response.statusText, body.details, retryAfter);
}
