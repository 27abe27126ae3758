/** The user object of API.md. */
// Members are function properties, not methods: they never use `this`, so `const { login } = auth` is safe.
export interface User {
  id: string;
  email: string;
  emailVerified?: boolean;
  name: string | null;
  role: 'user' | 'admin';
  status: 'active' | 'suspended';
  createdAt: string;
}

/**
 * Why a session ended: `logged_out` when a tab of this app logged out, otherwise the server's
 * error code (`token_revoked`, `session_revoked`, `refresh_token_reused`, `account_suspended`,
 * `invalid_refresh_token` when the session expired or the account is gone).
 */
export type SessionEndReason =
  | 'logged_out'
  | 'token_revoked'
  | 'session_revoked'
  | 'refresh_token_reused'
  | 'account_suspended'
  | 'invalid_refresh_token';

export interface AuthClientOptions {
  /** Gatehouse's origin (and path prefix, if any), e.g. `https://auth.example.com`. */
  baseUrl: string;
  /** How often a visible page asks `GET /auth/session` whether the session still lives (ms, default 2000; 0 turns it off). */
  livenessIntervalMs?: number;
  /** How long a tab waits for the tab that refreshes before refreshing itself (ms, default 5000). */
  tabTimeoutMs?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

export interface Credentials {
  email: string;
  password: string;
}

export interface Registration extends Credentials {
  name?: string;
}

export interface AuthClient {
  /** The signed-in user, or null. */
  readonly user: User | null;
  /** The current session's id, or null. */
  readonly sessionId: string | null;
  /** Creates an account (does not sign in). */
  register: (input: Registration) => Promise<User>;
  login: (input: Credentials) => Promise<User>;
  /** Ends this session in every tab. */
  logout: () => Promise<void>;
  /** Ends every session of the user (all devices). */
  logoutAll: () => Promise<void>;
  /** After a reload: the session from the refresh cookie (or another tab), or null. */
  restore: () => Promise<User | null>;
  /** fetch with the access token attached; refreshes once and retries on an expired token. */
  fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  /** Called with the user (or null) whenever it changes. Returns an unsubscribe function. */
  onChange: (listener: (user: User | null) => void) => () => void;
  /** Called when a session ends, with the reason. Returns an unsubscribe function. */
  onSessionEnd: (listener: (reason: SessionEndReason) => void) => () => void;
  /** Stops timers and cross-tab listeners. */
  close: () => void;
}

/** An error answer of Gatehouse (API.md "Error codes"), or a network failure (`status` 0, code `network_error`). */
export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: { field: string; message: string }[],
    /** Seconds, from `Retry-After` (429, 423). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}
