import { UI_ROUTES } from '../../../src/ui/ui-routes.js';
import type { Page, PageContext } from '../context.js';
import { fill, h, table, type Child } from '../dom.js';
import { errorLine, form, type FieldSpec, type Values } from '../forms.js';
import { pager } from './pager.js';

export const userPath = (id: string) => UI_ROUTES.adminUser.replace(':id', encodeURIComponent(id));

// Ids are UUIDv7: their first digits are a timestamp, shared by neighbours; the tail tells them apart.
export const userLink = (id: string | null | undefined) => (id ? h('a', { class: 'mono short', title: id, href: userPath(id) }, `…${id.slice(-8)}`) : '—');

export const detailsCell = (value: unknown) =>
  value && typeof value === 'object' && Object.keys(value).length ? h('code', { class: 'details' }, JSON.stringify(value)) : '—';

export interface ListSpec<T> {
  title: string;
  /** What the API answers at `path` with `{ [key]: T[], nextCursor }`, `limit` a page. */
  path: string;
  key: string;
  limit: number;
  /** The filters, named as the API's query parameters; the address bar keeps their values. */
  filters: FieldSpec[];
  filterLabel: string;
  submit: string;
  caption: string;
  headers: string[];
  empty: (filters: Values) => string;
  /** A row's cells; `reload` shows the first page again (after an action changed the list). */
  row: (item: T, reload: () => Promise<void>, context: PageContext) => Child[];
  intro?: Child;
}

/** An admin list: a heading, a filter form, and a table paged with the server's cursor. */
export function listPage<T>(spec: ListSpec<T>): Page {
  return async (view, context) => {
    const values: Values = Object.fromEntries(spec.filters.map((field) => [field.name, context.query.get(field.name) ?? field.value ?? '']));
    const results = h('div', { 'aria-live': 'polite' });
    const pages = pager(async (cursor) => {
      try {
        const page = await context.api<Record<string, unknown>>(spec.path, { query: { ...values, cursor, limit: spec.limit } });
        const rows = (page[spec.key] as T[]).map((item) => spec.row(item, pages.reload, context));
        fill(results, table(spec.caption, spec.headers, rows, spec.empty(values)));
        return page.nextCursor as string | null;
      } catch (error) {
        fill(results, errorLine(error));
        return null;
      }
    });
    fill(
      view,
      h('h1', { tabindex: -1 }, spec.title),
      spec.intro,
      form({
        label: spec.filterLabel,
        inline: true,
        fields: spec.filters.map((field) => ({ ...field, value: values[field.name], required: false })),
        submit: spec.submit,
        onSubmit: async (next) => {
          const search = new URLSearchParams();
          for (const field of spec.filters) {
            values[field.name] = next[field.name].trim();
            // Kept when set, or when it differs from the default (an empty "any status" is a choice too).
            if (values[field.name] || values[field.name] !== (field.value ?? '')) search.set(field.name, values[field.name]);
          }
          history.replaceState(null, '', search.size ? `${location.pathname}?${search}` : location.pathname);
          await pages.reload();
        },
      }),
      results,
      pages.element,
    );
    await pages.reload();
  };
}
