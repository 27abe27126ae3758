import { UI_ROUTES } from '../../../src/ui/ui-routes.js';
import type { Page } from '../context.js';
import { fill, h, table, time } from '../dom.js';
import { form, reportError } from '../forms.js';
import { pager } from './pager.js';

interface Anomaly {
  id: string;
  type: string;
  userId: string;
  sessionId?: string | null;
  action: string;
  status: 'open' | 'dismissed' | 'confirmed';
  details: unknown;
  createdAt: string;
  resolvedAt?: string | null;
}

const ACTIONS: Record<string, string> = {
  flag: 'recorded only',
  revoke_session: 'session revoked',
  revoke_user: 'every session revoked',
  suspend_user: 'user suspended',
};

export const anomaliesPage: Page = async (view, { api, query, notice }) => {
  let status = query.get('status') ?? 'open';
  const results = h('div', { 'aria-live': 'polite' });
  const pages = pager(async (cursor) => {
    try {
      const page = await api<{ anomalies: Anomaly[]; nextCursor: string | null }>('/admin/anomalies', { query: { status, cursor, limit: 20 } });
      const rows = page.anomalies.map((anomaly) => [
        time(anomaly.createdAt),
        anomaly.type.replaceAll('_', ' '),
        h('a', { class: 'mono short', title: anomaly.userId, href: UI_ROUTES.adminUser.replace(':id', encodeURIComponent(anomaly.userId)) }, `…${anomaly.userId.slice(-8)}`),
        ACTIONS[anomaly.action] ?? anomaly.action,
        anomaly.details && typeof anomaly.details === 'object' ? h('code', { class: 'details' }, JSON.stringify(anomaly.details)) : '—',
        anomaly.status === 'open' ? review(anomaly) : `${anomaly.status} ${anomaly.resolvedAt ? new Date(anomaly.resolvedAt).toLocaleString() : ''}`,
      ]);
      fill(results, table('Anomalies', ['When', 'Type', 'User', 'Action taken', 'Details', 'Review'], rows, 'Nothing to review.'));
      return page.nextCursor;
    } catch (error) {
      const outcome = h('p', { class: 'outcome' });
      reportError(outcome, error);
      fill(results, outcome);
      return null;
    }
  });
  const review = (anomaly: Anomaly) =>
    h(
      'div',
      { class: 'stack' },
      form({
        label: `Dismiss anomaly ${anomaly.id}`,
        inline: true,
        fields: [{ name: 'note', label: 'Note', required: false, maxlength: 500 }],
        submit: 'Dismiss',
        onSubmit: async ({ note }) => {
          await api(`/admin/anomalies/${encodeURIComponent(anomaly.id)}/dismiss`, { method: 'POST', body: note.trim() ? { note: note.trim() } : {} });
          notice('Dismissed: a suspension it caused is lifted unless another anomaly holds it.');
          await pages.reload();
        },
      }),
      form({
        label: `Confirm anomaly ${anomaly.id}`,
        inline: true,
        fields: [
          { name: 'note', label: 'Note', required: false, maxlength: 500 },
          { name: 'suspend', label: 'Suspend the user', type: 'checkbox', required: false },
        ],
        submit: 'Confirm',
        danger: true,
        onSubmit: async ({ note, suspend }) => {
          await api(`/admin/anomalies/${encodeURIComponent(anomaly.id)}/confirm`, {
            method: 'POST',
            body: { ...(note.trim() ? { note: note.trim() } : {}), ...(suspend === 'true' ? { suspend: true } : {}) },
          });
          notice(suspend === 'true' ? 'Confirmed, and the user is suspended.' : 'Confirmed.');
          await pages.reload();
        },
      }),
    );
  fill(
    view,
    h('h1', { tabindex: -1 }, 'Anomalies to review'),
    form({
      label: 'Filter anomalies',
      inline: true,
      fields: [{ name: 'status', label: 'Status', type: 'select', value: status, options: [['open', 'Open'], ['confirmed', 'Confirmed'], ['dismissed', 'Dismissed']] }],
      submit: 'Show',
      onSubmit: async (values) => {
        status = values.status;
        await pages.reload();
      },
    }),
    results,
    pages.element,
  );
  await pages.reload();
};
