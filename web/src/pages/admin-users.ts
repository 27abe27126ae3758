import type { User } from '../../../client/src/gatehouse-client.js';
import { UI_ROUTES } from '../../../src/ui/ui-routes.js';
import type { Page } from '../context.js';
import { device, fill, h, table, time } from '../dom.js';
import { action, form } from '../forms.js';
import { listPage, userPath } from './admin-list.js';

interface AdminSession {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
}

const status = (user: User) => h('span', { class: user.status === 'suspended' ? 'badge warn' : 'badge' }, user.status);

export const adminUsersPage = listPage<User>({
  title: 'Users',
  path: '/admin/users',
  key: 'users',
  limit: 20,
  filters: [{ name: 'email', label: 'Email contains', type: 'search', maxlength: 254 }],
  filterLabel: 'Search users',
  submit: 'Search',
  caption: 'Users',
  headers: ['Email', 'Name', 'Role', 'Status', 'Created'],
  empty: ({ email }) => (email ? 'No user matches.' : 'No users yet.'),
  row: (user) => [h('a', { href: userPath(user.id) }, user.email), user.name ?? '—', user.role, status(user), time(user.createdAt)],
});

export const adminUserPage: Page = async (view, context) => {
  const { api, params, notice, has } = context;
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
      h(
        'p',
        { class: 'links' },
        h('a', { href: `${UI_ROUTES.adminAudit}?userId=${encodeURIComponent(user.id)}` }, 'Audit events of this user'),
        has('anomalies') && h('a', { href: `${UI_ROUTES.adminAnomalies}?status=&userId=${encodeURIComponent(user.id)}` }, 'Anomalies of this user'),
      ),
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
