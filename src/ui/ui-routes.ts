/**
 * The paths of Gatehouse's own UI (a single page app): the server answers each with the UI's
 * index.html and the UI's router draws the page. Shared by both, so they cannot disagree. None
 * may be an API path: Fastify refuses a duplicate route at boot, and the UI e2e suite checks it.
 */
export const UI_ROUTES = {
  home: '/',
  signIn: '/sign-in',
  register: '/register',
  forgotPassword: '/forgot-password',
  resetPassword: '/reset-password',
  verifyEmail: '/verify-email',
  account: '/account',
  adminUsers: '/admin',
  adminUser: '/admin/accounts/:id',
  adminAnomalies: '/admin/anomaly-review',
  adminAudit: '/admin/audit-log',
  adminKeys: '/admin/signing-keys',
} as const;

export type UiRoute = keyof typeof UI_ROUTES;

/**
 * Optional features the UI shows only when this server has their endpoints (mail-based recovery
 * and anomaly review arrive as separate modules). The server names them in a meta tag.
 */
export const UI_FEATURES = {
  passwordReset: { method: 'POST', url: '/auth/password/reset' },
  emailVerification: { method: 'POST', url: '/auth/email/verify' },
  emailChange: { method: 'POST', url: '/users/me/email' },
  securityEvents: { method: 'GET', url: '/users/me/security-events' },
  anomalies: { method: 'GET', url: '/admin/anomalies' },
} as const;

export type UiFeature = keyof typeof UI_FEATURES;
