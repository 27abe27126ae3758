import { h } from '../dom.js';

/**
 * Cursor paging: the server gives a nextCursor; the pages already seen are remembered so
 * "Previous" goes back without the server keeping state.
 */
export function pager(load: (cursor: string | undefined) => Promise<string | null | undefined>): { element: HTMLElement; reload: () => Promise<void> } {
  const seen: (string | undefined)[] = [undefined];
  let next: string | null | undefined;
  const previous = h('button', { type: 'button', class: 'secondary' }, 'Previous page');
  const following = h('button', { type: 'button', class: 'secondary' }, 'Next page');
  const position = h('span', { class: 'muted' });
  const show = async () => {
    previous.disabled = following.disabled = true;
    next = await load(seen[seen.length - 1]);
    previous.disabled = seen.length === 1;
    following.disabled = !next;
    position.textContent = `Page ${seen.length}`;
    // One page only: two disabled buttons would be noise.
    element.hidden = seen.length === 1 && !next;
  };
  previous.addEventListener('click', () => {
    seen.pop();
    void show();
  });
  following.addEventListener('click', () => {
    if (next) seen.push(next);
    void show();
  });
  const element = h('nav', { class: 'pager', 'aria-label': 'Pages' }, previous, position, following);
  return {
    element,
    reload: () => {
      seen.length = 1;
      return show();
    },
  };
}
