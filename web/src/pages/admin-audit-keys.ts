import { UI_ROUTES } from '../../../src/ui/ui-routes.js';
import type { Page } from '../context.js';
import { fill, h, table, time } from '../dom.js';
import { action, form, reportError } from '../forms.js';
import { pager } from './pager.js';

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

// Ids are UUIDv7: their first digits are a timestamp, shared by neighbours; the tail tells them apart.
const userLink = (id: string | null) =>
  id ? h('a', { class: 'mono short', title: id, href: UI_ROUTES.adminUser.replace(':id', encodeURIComponent(id)) }, `…${id.slice(-8)}`) : '—';
const details = (value: unknown) => (value && typeof value === 'object' && Object.keys(value).length ? h('code', { class: 'details' }, JSON.stringify(value)) : '—');

export const auditPage: Page = async (view, { api, query }) => {
  const filters = { userId: query.get('userId') ?? '', type: query.get('type') ?? '' };
  const results = h('div', { 'aria-live': 'polite' });
  const pages = pager(async (cursor) => {
    try {
      const page = await api<{ events: AuditEvent[]; nextCursor: string | null }>('/admin/audit', { query: { ...filters, cursor, limit: 50 } });
      const rows = page.events.map((event) => [time(event.createdAt), event.type, userLink(event.userId), userLink(event.actorId), event.ip ?? '—', details(event.details)]);
      fill(results, table('Audit events', ['When', 'Event', 'User', 'By', 'Network', 'Details'], rows, 'No events match.'));
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
    h('h1', { tabindex: -1 }, 'Audit log'),
    form({
      label: 'Filter audit events',
      inline: true,
      fields: [
        { name: 'userId', label: 'User id', value: filters.userId, required: false, maxlength: 36 },
        { name: 'type', label: 'Event type (e.g. login_failed)', value: filters.type, required: false, maxlength: 64 },
      ],
      submit: 'Filter',
      onSubmit: async (values) => {
        filters.userId = values.userId.trim();
        filters.type = values.type.trim();
        await pages.reload();
      },
    }),
    results,
    pages.element,
  );
  await pages.reload();
};

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
