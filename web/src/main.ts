import { createAuthClient } from '../../client/src/gatehouse-client.js';
import { UI_ROUTES, type UiFeature, type UiRoute } from '../../src/ui/ui-routes.js';
import { createApi } from './api.js';
import type { Page, PageContext } from './context.js';
import { fill, h } from './dom.js';
import { errorMessage, SESSION_END_MESSAGES } from './messages.js';
import { accountPage } from './pages/account.js';
import { anomaliesPage } from './pages/admin-anomalies.js';
import { auditPage, keysPage } from './pages/admin-audit-keys.js';
import { adminUserPage, adminUsersPage } from './pages/admin-users.js';
import { forgotPasswordPage, registerPage, resetPasswordPage, signInPage, verifyEmailPage } from './pages/auth-pages.js';

type Access = 'anyone' | 'guest' | 'user' | 'admin';
interface Route {
  name: UiRoute;
  title: string;
  access: Access;
  page: Page;
  feature?: UiFeature;
}

const ROUTES: Route[] = [
  { name: 'signIn', title: 'Sign in', access: 'guest', page: signInPage },
  { name: 'register', title: 'Create an account', access: 'guest', page: registerPage },
  { name: 'forgotPassword', title: 'Forgot password', access: 'anyone', page: forgotPasswordPage, feature: 'passwordReset' },
  { name: 'resetPassword', title: 'Choose a new password', access: 'anyone', page: resetPasswordPage, feature: 'passwordReset' },
  { name: 'verifyEmail', title: 'Verify your email', access: 'anyone', page: verifyEmailPage, feature: 'emailVerification' },
  { name: 'account', title: 'Your account', access: 'user', page: accountPage },
  { name: 'adminUsers', title: 'Users', access: 'admin', page: adminUsersPage },
  { name: 'adminUser', title: 'User', access: 'admin', page: adminUserPage },
  { name: 'adminAnomalies', title: 'Anomalies to review', access: 'admin', page: anomaliesPage, feature: 'anomalies' },
  { name: 'adminAudit', title: 'Audit log', access: 'admin', page: auditPage },
  { name: 'adminKeys', title: 'Signing keys', access: 'admin', page: keysPage },
];

const client = createAuthClient({ baseUrl: location.origin });
const api = createApi(client);
const features = new Set(document.querySelector<HTMLMetaElement>('meta[name="gatehouse-features"]')?.content.split(/\s+/) ?? []);
const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const noticeBox = document.getElementById('notice') as HTMLElement;
let noticeRenders = 0;
let current: Route | undefined;

function match(pathname: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    const names: string[] = [];
    const pattern = UI_ROUTES[route.name].replace(/:(\w+)/g, (_whole, name: string) => (names.push(name), '([^/]+)'));
    const found = new RegExp(`^${pattern}/?$`).exec(pathname);
    if (found) return { route, params: Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(found[index + 1])])) };
  }
  return undefined;
}

/** `next` only ever leads to a page of this app (no open redirect, also not via `/\\host`). */
function sameOriginPath(next: string | null): string | undefined {
  if (!next) return undefined;
  const url = new URL(next, location.origin);
  return url.origin === location.origin && match(url.pathname) ? url.pathname + url.search : undefined;
}

function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  void render();
}

function notice(message: string, kind: 'info' | 'error' = 'info'): void {
  noticeRenders = 2; // survives the navigation that usually follows it
  noticeBox.className = `notice ${kind}`;
  noticeBox.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  fill(noticeBox, h('span', {}, message), h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss message', onclick: () => fill(noticeBox) }, '×'));
}

function renderNav(): void {
  const user = client.user;
  const link = (name: UiRoute, text: string) =>
    h('a', { href: UI_ROUTES[name], 'aria-current': current?.name === name ? 'page' : null }, text);
  if (!user) return fill(nav, link('signIn', 'Sign in'), link('register', 'Register'));
  fill(
    nav,
    link('account', 'Account'),
    user.role === 'admin' && [
      link('adminUsers', 'Users'),
      features.has('anomalies') && link('adminAnomalies', 'Anomalies'),
      link('adminAudit', 'Audit'),
      link('adminKeys', 'Keys'),
    ],
    h('button', { type: 'button', class: 'link', onclick: () => void client.logout().catch((error: { code: string }) => notice(errorMessage(error.code), 'error')) }, 'Sign out'),
  );
}

async function render(): Promise<void> {
  if (noticeRenders-- <= 0) fill(noticeBox);
  const user = client.user;
  if (location.pathname === UI_ROUTES.home) return navigate(user ? UI_ROUTES.account : UI_ROUTES.signIn, { replace: true });
  const found = match(location.pathname);
  current = found?.route;
  renderNav();
  const view = h('div', { class: 'page' });
  main.replaceChildren(view);
  document.body.dataset.page = found?.route.name ?? 'missing';
  delete document.body.dataset.ready;
  if (!found) {
    document.title = 'Not found · Gatehouse';
    fill(view, h('h1', { tabindex: -1 }, 'Page not found'), h('p', {}, h('a', { href: '/' }, 'Go to the start page')));
  } else if (found.route.feature && !features.has(found.route.feature)) {
    document.title = `${found.route.title} · Gatehouse`;
    fill(view, h('h1', { tabindex: -1 }, found.route.title), h('p', {}, 'This server does not offer this yet.'));
  } else if (found.route.access === 'guest' && user) {
    return navigate(UI_ROUTES.account, { replace: true });
  } else if ((found.route.access === 'user' || found.route.access === 'admin') && !user) {
    return navigate(`${UI_ROUTES.signIn}?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
  } else if (found.route.access === 'admin' && user?.role !== 'admin') {
    fill(view, h('h1', { tabindex: -1 }, 'Administrators only'), h('p', {}, errorMessage('forbidden')));
  } else {
    document.title = `${found.route.title} · Gatehouse`;
    const context: PageContext = {
      client,
      api,
      navigate,
      notice,
      params: found.params,
      query: new URLSearchParams(location.search),
      has: (feature) => features.has(feature),
    };
    try {
      await found.route.page(view, context);
    } catch (error) {
      view.append(h('p', { class: 'outcome error', role: 'alert' }, errorMessage((error as { code?: string }).code ?? '')));
    }
  }
  if (main.contains(view)) {
    document.body.dataset.ready = 'true';
    (view.querySelector('h1') ?? main).focus();
  }
}

// Same-origin links navigate inside the app; modified clicks (new tab) keep the browser's way.
document.addEventListener('click', (event) => {
  const anchor = (event.target as Element).closest?.('a');
  if (!anchor || anchor.target || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin || !match(url.pathname) && url.pathname !== '/') return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', () => void render());

client.onSessionEnd((reason) => {
  notice(SESSION_END_MESSAGES[reason] ?? errorMessage(reason), reason === 'logged_out' ? 'info' : 'error');
  navigate(UI_ROUTES.signIn);
});
client.onChange((user) => {
  // Signed in here or in another tab: leave the sign-in pages for where the user was going.
  if (user && current?.access === 'guest') {
    navigate(sameOriginPath(new URLSearchParams(location.search).get('next')) ?? UI_ROUTES.account, { replace: true });
  } else renderNav();
});

try {
  await client.restore();
} catch (error) {
  notice(errorMessage((error as { code?: string }).code ?? 'network_error'), 'error');
}
await render();
