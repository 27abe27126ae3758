import type { Page } from '../context.js';
import { fill, h, table, time } from '../dom.js';
import { action, form } from '../forms.js';
import { detailsCell, listPage, userLink } from './admin-list.js';

interface AuditEvent {
  id: string;
  type: string;
  userId: string | null;
  actorId: string | null;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: unknown;
  createdAt: string;
}

interface SigningKey {
  kid: string;
  alg: string;
  status: 'active' | 'retiring' | 'revoked';
  createdAt: string;
}

export const auditPage = listPage<AuditEvent>({
  title: 'Audit log',
  path: '/admin/audit',
  key: 'events',
  limit: 50,
  filters: [
    { name: 'userId', label: 'User id', maxlength: 36 },
    { name: 'type', label: 'Event type (e.g. login_failed)', maxlength: 64 },
  ],
  filterLabel: 'Filter audit events',
  submit: 'Filter',
  caption: 'Audit events',
  headers: ['When', 'Event', 'User', 'By', 'Network', 'Details'],
  empty: () => 'No events match.',
  row: (event) => [time(event.createdAt), event.type, userLink(event.userId), userLink(event.actorId), event.ip ?? '—', detailsCell(event.details)],
});

export const keysPage: Page = async (view, context) => {
  const { api, notice } = context;
  const reload = () => keysPage(view, context);
  const { keys } = await api<{ keys: SigningKey[] }>('/admin/keys');
  const rows = keys.map((key) => [
    h('span', { class: 'mono' }, key.kid),
    key.alg,
    h('span', { class: key.status === 'active' ? 'badge' : 'badge warn' }, key.status),
    time(key.createdAt),
    key.status === 'revoked'
      ? '—'
      : form({
          label: `Revoke key ${key.kid}`,
          inline: true,
          fields: [{ name: 'revokeSessions', label: 'Also end every session that used it', type: 'checkbox', required: false }],
          submit: 'Revoke',
          danger: true,
          onSubmit: async ({ revokeSessions }) => {
            await api(`/admin/keys/${encodeURIComponent(key.kid)}/revoke`, { method: 'POST', query: { revokeSessions } });
            notice(`Key ${key.kid} is revoked: its tokens are rejected everywhere${revokeSessions === 'true' ? ', and the sessions that used it are ended' : ''}.`);
            await reload();
          },
        }),
  ]);
  fill(
    view,
    h('h1', { tabindex: -1 }, 'Signing keys'),
    h('p', {}, 'Rotating signs new tokens with a fresh key; tokens of the old key stay valid until they expire. Revoking rejects a key’s tokens at once (clients recover by refreshing).'),
    action('Rotate now', async () => {
      const { kid } = await api<{ kid: string }>('/admin/keys/rotate', { method: 'POST' });
      notice(`New active key: ${kid}.`);
      await reload();
    }),
    table('Signing keys', ['Key id', 'Algorithm', 'Status', 'Created', 'Revoke'], rows, 'No keys.'),
  );
};
