import { h, time } from '../dom.js';
import { form } from '../forms.js';
import { ANOMALY_LABELS, anomalyLabel } from '../messages.js';
import { detailsCell, listPage, userLink } from './admin-list.js';

/** API.md "Anomalies": the fields this page shows. */
interface Anomaly {
  id: string;
  type: string;
  userId: string;
  sessionId?: string;
  action: string;
  status: 'open' | 'dismissed' | 'confirmed';
  network?: string;
  details: unknown;
  createdAt: string;
  resolvedAt?: string;
  note?: string;
}

const ACTIONS: Record<string, string> = {
  flag: 'recorded only',
  revoke_session: 'session revoked',
  revoke_user: 'every session revoked',
  suspend_user: 'user suspended',
};

export const anomaliesPage = listPage<Anomaly>({
  title: 'Anomalies to review',
  path: '/admin/anomalies',
  key: 'anomalies',
  limit: 20,
  intro: h('p', {}, 'Each anomaly already did its action. Dismiss a false alarm (a suspension it caused is lifted), or confirm it, optionally suspending the user.'),
  filters: [
    { name: 'status', label: 'Status', type: 'select', value: 'open', options: [['open', 'Open'], ['confirmed', 'Confirmed'], ['dismissed', 'Dismissed'], ['', 'Any status']] },
    { name: 'type', label: 'Type', type: 'select', options: [['', 'Any type'], ...Object.entries(ANOMALY_LABELS)] },
    { name: 'userId', label: 'User id', maxlength: 36 },
  ],
  filterLabel: 'Filter anomalies',
  submit: 'Show',
  caption: 'Anomalies',
  headers: ['When', 'Type', 'User', 'Network', 'Action taken', 'Details', 'Review'],
  empty: ({ status }) => (status === 'open' ? 'Nothing to review.' : 'No anomalies match.'),
  row: (anomaly, reload, { api, notice }) => {
    const review =
      anomaly.status === 'open'
        ? h(
            'details',
            { class: 'review' },
            h('summary', {}, 'Review'),
            form({
              label: `Dismiss anomaly ${anomaly.id}`,
              inline: true,
              fields: [{ name: 'note', label: 'Note', required: false, maxlength: 500 }],
              submit: 'Dismiss',
              onSubmit: async ({ note }) => {
                await api(`/admin/anomalies/${encodeURIComponent(anomaly.id)}/dismiss`, { method: 'POST', body: note.trim() ? { note: note.trim() } : {} });
                notice('Dismissed: a suspension it caused is lifted unless another anomaly holds it.');
                await reload();
              },
            }),
            form({
              label: `Confirm anomaly ${anomaly.id}`,
              inline: true,
              fields: [
                { name: 'note', label: 'Note', required: false, maxlength: 500 },
                { name: 'suspend', label: 'Also suspend the user', type: 'checkbox', required: false },
              ],
              submit: 'Confirm',
              danger: true,
              onSubmit: async ({ note, suspend }) => {
                await api(`/admin/anomalies/${encodeURIComponent(anomaly.id)}/confirm`, {
                  method: 'POST',
                  body: { ...(note.trim() ? { note: note.trim() } : {}), ...(suspend === 'true' ? { suspend: true } : {}) },
                });
                notice(suspend === 'true' ? 'Confirmed, and the user is suspended.' : 'Confirmed: the action stands.');
                await reload();
              },
            }),
          )
        : h('span', {}, h('span', { class: anomaly.status === 'confirmed' ? 'badge warn' : 'badge' }, anomaly.status), ' ', time(anomaly.resolvedAt), anomaly.note ? h('span', { class: 'details' }, anomaly.note) : '');
    return [
      time(anomaly.createdAt),
      anomalyLabel(anomaly.type),
      userLink(anomaly.userId),
      anomaly.network ?? '—',
      ACTIONS[anomaly.action] ?? anomaly.action,
      detailsCell(anomaly.details),
      review,
    ];
  },
});
