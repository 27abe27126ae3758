import type { User } from '../../../client/src/gatehouse-client.js';
import type { Page, PageContext } from '../context.js';
import { device, fill, h, table, time } from '../dom.js';
import { action, errorLine, form } from '../forms.js';
import { anomalyLabel } from '../messages.js';

interface SessionRow {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

/** GET /users/me/security-events: the user's own anomalies, no internal details. */
interface SecurityEvent {
  type: string;
  createdAt: string;
  network: string | null;
}

export const accountPage: Page = async (view, context) => {
  const { api, client, has } = context;
  const { user } = await api<{ user: User }>('/users/me');
  const sessions = h('section', { 'aria-labelledby': 'sessions-title' });
  const events = h('section', { 'aria-labelledby': 'events-title' });
  fill(
    view,
    h('h1', { tabindex: -1 }, 'Your account'),
    h(
      'section',
      { class: 'card', 'aria-label': 'Profile' },
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Name'), h('dd', {}, user.name ?? '—'),
        h('dt', {}, 'Email'), h('dd', {}, user.email, user.emailVerified === false ? h('span', { class: 'badge warn' }, 'not verified') : ''),
        h('dt', {}, 'Role'), h('dd', {}, user.role),
        h('dt', {}, 'Member since'), h('dd', {}, time(user.createdAt)),
      ),
      user.emailVerified === false && has('emailVerification') &&
        action('Send the verification mail again', async () => {
          await api('/auth/email/verify/resend', { method: 'POST' });
          return 'Sent: check your inbox.';
        }),
      h(
        'div',
        { class: 'row' },
        action('Sign out', () => client.logout()),
        action('Sign out everywhere', () => client.logoutAll(), { danger: true, label: 'Sign out on every device' }),
      ),
    ),
    sessions,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'password-title' },
      h('h2', { id: 'password-title' }, 'Change password'),
      form({
        label: 'Change password',
        fields: [
          { name: 'currentPassword', label: 'Current password', type: 'password', autocomplete: 'current-password', required: true },
          { name: 'newPassword', label: 'New password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 256, hint: '8 to 256 characters. Your other sessions will be signed out.' },
          { name: 'confirmPassword', label: 'New password again', type: 'password', autocomplete: 'new-password', required: true },
        ],
        submit: 'Change password',
        check: (values) => (values.newPassword === values.confirmPassword ? undefined : { confirmPassword: 'The two passwords differ.' }),
        onSubmit: async ({ currentPassword, newPassword }) => {
          await api('/users/me/password', { method: 'POST', body: { currentPassword, newPassword } });
          void loadSessions(sessions, context);
          return 'Password changed. Your other sessions were signed out.';
        },
      }),
    ),
    has('emailChange') &&
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'email-title' },
        h('h2', { id: 'email-title' }, 'Change email'),
        form({
          label: 'Change email',
          fields: [
            { name: 'newEmail', label: 'New email', type: 'email', autocomplete: 'email', required: true },
            { name: 'password', label: 'Current password', type: 'password', autocomplete: 'current-password', required: true },
          ],
          submit: 'Change email',
          onSubmit: async ({ newEmail, password }) => {
            await api('/users/me/email', { method: 'POST', body: { newEmail, password } });
            return `We sent a link to ${newEmail}. Your email changes when you follow it.`;
          },
        }),
      ),
    has('securityEvents') && events,
  );
  await Promise.all([loadSessions(sessions, context), has('securityEvents') ? loadEvents(events, context) : undefined]);
};

async function loadSessions(section: HTMLElement, context: PageContext): Promise<void> {
  const { api, client } = context;
  section.className = 'card';
  const title = h('h2', { id: 'sessions-title' }, 'Where you are signed in');
  try {
    const { sessions } = await api<{ sessions: SessionRow[] }>('/sessions');
    const rows = sessions.map((session) => [
      h('span', {}, device(session.userAgent), session.current ? h('span', { class: 'badge' }, 'this device') : ''),
      session.ip ?? '—',
      time(session.createdAt),
      time(session.lastUsedAt),
      session.current
        ? action('Sign out', () => client.logout(), { label: 'Sign out this device' })
        : action('Revoke', async () => {
            await api(`/sessions/${encodeURIComponent(session.id)}`, { method: 'DELETE' });
            await loadSessions(section, context);
          }, { danger: true, label: `Revoke the session of ${device(session.userAgent)} from ${session.ip ?? 'an unknown network'}` }),
    ]);
    fill(section, title, table('Your sessions', ['Device', 'Network', 'Signed in', 'Last used', ''], rows, 'No live sessions.'));
  } catch (error) {
    fill(section, title, errorLine(error));
  }
}

async function loadEvents(section: HTMLElement, context: PageContext): Promise<void> {
  section.className = 'card';
  const title = h('h2', { id: 'events-title' }, 'Recent security events');
  try {
    const { events } = await context.api<{ events: SecurityEvent[] }>('/users/me/security-events', { query: { limit: 20 } });
    const rows = events.map((event) => [anomalyLabel(event.type), time(event.createdAt), event.network ?? '—']);
    fill(
      section,
      title,
      h('p', { class: 'hint' }, 'Unusual activity on your account. If you do not recognise it, change your password and sign out everywhere.'),
      table('Your security events', ['Event', 'When', 'Network'], rows, 'Nothing unusual so far.'),
    );
  } catch (error) {
    fill(section, title, errorLine(error));
  }
}
