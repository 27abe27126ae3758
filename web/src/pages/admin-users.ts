import type { User } from '../../../client/src/gatehouse-client.js';
import { UI_ROUTES } from '../../../src/ui/ui-routes.js';
import type { Page } from '../context.js';
import { device, fill, h, table, time } from '../dom.js';
import { action, form, reportError } from '../forms.js';
import { pager } from './pager.js';

interface AdminSession {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
}

const userPath = (id: string) => UI_ROUTES.adminUser.replace(':id', encodeURIComponent(id));
const status = (user: User) => h('span', { class: user.status === 'suspended' ? 'badge warn' : 'badge' }, user.status);

export const adminUsersPage: Page = async (view, { api, query }) => {
  const results = h('div', { 'aria-live': 'polite' });
  let email = query.get('email') ?? '';
  const pages = pager(async (cursor) => {
    try {
      const page = await api<{ users: User[]; nextCursor: string | null }>('/admin/users', { query: { email, cursor, limit: 20 } });
      const rows = page.users.map((user) => [h('a', { href: userPath(user.id) }, user.email), user.name ?? '—', user.role, status(user), time(user.createdAt)]);
      fill(results, table('Users', ['Email', 'Name', 'Role', 'Status', 'Created'], rows, email ? 'No user matches.' : 'No users yet.'));
      return page.nextCursor;
    } catch (error) {
      const outcome = h('p', { class: 'outcome' });
      reportError(outcome, error);
      fill(results, outcome);
      return null;
    }
  });
  fill(
    view,
    h('h1', { tabindex: -1 }, 'Users'),
    form({
      label: 'Search users',
      inline: true,
      fields: [{ name: 'email', label: 'Email contains', type: 'search', value: email, required: false, maxlength: 254 }],
      submit: 'Search',
      onSubmit: async (values) => {
        email = values.email.trim();
        history.replaceState(null, '', email ? `${UI_ROUTES.adminUsers}?email=${encodeURIComponent(email)}` : UI_ROUTES.adminUsers);
        await pages.reload();
      },
    }),
    results,
    pages.element,
  );
  await pages.reload();
};

export const adminUserPage: Page = async (view, context) => {
  const { api, params, notice } = context;
  const { user, sessions } = await api<{ user: User; sessions: AdminSession[] }>(`/admin/users/${encodeURIComponent(params.id)}`);
  const reload = () => adminUserPage(view, context);
  const sessionRows = sessions.map((session) => [device(session.userAgent), session.ip ?? '—', time(session.createdAt), time(session.lastUsedAt), time(session.expiresAt)]);
  fill(
    view,
    h('p', {}, h('a', { href: UI_ROUTES.adminUsers }, '← All users')),
    h('h1', { tabindex: -1 }, user.email),
    h(
      'section',
      { class: 'card', 'aria-label': 'Account' },
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Name'), h('dd', {}, user.name ?? '—'),
        h('dt', {}, 'Role'), h('dd', {}, user.role),
        h('dt', {}, 'Status'), h('dd', {}, status(user)),
        h('dt', {}, 'Email verified'), h('dd', {}, user.emailVerified === undefined ? '—' : user.emailVerified ? 'yes' : 'no'),
        h('dt', {}, 'Created'), h('dd', {}, time(user.createdAt)),
        h('dt', {}, 'Id'), h('dd', { class: 'mono' }, user.id),
      ),
      h('p', {}, h('a', { href: `${UI_ROUTES.adminAudit}?userId=${encodeURIComponent(user.id)}` }, 'Audit events of this user')),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'role-title' },
      h('h2', { id: 'role-title' }, 'Role'),
      form({
        label: 'Change role',
        inline: true,
        fields: [{ name: 'role', label: 'Role', type: 'select', value: user.role, options: [['user', 'User'], ['admin', 'Administrator']] }],
        submit: 'Change role',
        onSubmit: async ({ role }) => {
          await api(`/admin/users/${encodeURIComponent(user.id)}/role`, { method: 'PATCH', body: { role } });
          notice(`${user.email} is now ${role === 'admin' ? 'an administrator' : 'a user'} and was signed out everywhere.`);
          await reload();
        },
      }),
      h('p', { class: 'hint' }, 'Changing the role signs the user out everywhere.'),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'suspension-title' },
      h('h2', { id: 'suspension-title' }, user.status === 'suspended' ? 'Suspended' : 'Suspend'),
      user.status === 'suspended'
        ? action('Unsuspend', async () => {
            await api(`/admin/users/${encodeURIComponent(user.id)}/unsuspend`, { method: 'POST' });
            notice(`${user.email} can sign in again.`);
            await reload();
          })
        : form({
            label: 'Suspend user',
            fields: [{ name: 'reason', label: 'Reason (optional, kept in the audit log)', type: 'textarea', maxlength: 500, required: false }],
            submit: 'Suspend',
            danger: true,
            onSubmit: async ({ reason }) => {
              await api(`/admin/users/${encodeURIComponent(user.id)}/suspend`, { method: 'POST', body: reason.trim() ? { reason: reason.trim() } : {} });
              notice(`${user.email} is suspended and was signed out everywhere.`);
              await reload();
            },
          }),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'sessions-title' },
      h('h2', { id: 'sessions-title' }, `Live sessions (${sessions.length})`),
      table('Sessions of this user', ['Device', 'Network', 'Signed in', 'Last used', 'Expires'], sessionRows, 'No live sessions.'),
      sessions.length > 0 &&
        form({
          label: 'Revoke all sessions',
          fields: [{ name: 'reason', label: 'Reason (optional)', type: 'textarea', maxlength: 500, required: false }],
          submit: 'Revoke all sessions',
          danger: true,
          onSubmit: async ({ reason }) => {
            await api(`/admin/users/${encodeURIComponent(user.id)}/revoke-sessions`, { method: 'POST', body: reason.trim() ? { reason: reason.trim() } : {} });
            notice(`Every session of ${user.email} was revoked.`);
            await reload();
          },
        }),
    ),
  );
};
