// A table of records paged with the API's keyset cursors.
import { h, clear, alertBox } from './ui.js';

// pagedTable returns an element listing what load(cursor) returns (a list
// envelope: records, total, hasMore, nextCursor), page by page.
//
// columns: [{label, render(record) → node|string, sort?: field, className?}]
// sort: {field, desc} currently applied, onSort(field) when a sortable
// header is chosen.
export function pagedTable({ caption, columns, load, sort, onSort, empty, rowLabel }) {
  const wrap = h('div', { class: 'table-wrap' });
  const status = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', class: 'secondary small', disabled: true }, 'Previous page');
  const next = h('button', { type: 'button', class: 'secondary small', disabled: true }, 'Next page');
  const pager = h('div', { class: 'pager' }, prev, next, status);
  const root = h('div', { class: 'paged' }, wrap, pager);
  const cursors = [null]; // the cursor of each page seen so far
  let at = 0;
  let nextCursor = null;

  const header = () => h('tr', null, columns.map((c) => {
    if (!c.sort || !onSort) return h('th', { scope: 'col', class: c.className }, c.label);
    const active = sort && sort.field === c.sort;
    const dir = active ? (sort.desc ? 'descending' : 'ascending') : 'none';
    const b = h('button', { type: 'button', class: 'sort', 'data-sort': c.sort }, c.label,
      h('span', { class: 'sort-mark', 'aria-hidden': 'true', text: active ? (sort.desc ? ' ▼' : ' ▲') : '' }));
    b.setAttribute('aria-label', 'Sort by ' + c.label + (active ? (sort.desc ? ', now descending' : ', now ascending') : ''));
    b.addEventListener('click', () => onSort(c.sort));
    return h('th', { scope: 'col', 'aria-sort': dir, class: c.className }, b);
  }));

  async function show(i) {
    prev.disabled = true;
    next.disabled = true;
    status.textContent = 'Loading…';
    root.setAttribute('aria-busy', 'true');
    let res;
    try {
      res = await load(cursors[i]);
    } catch (err) {
      root.removeAttribute('aria-busy');
      status.textContent = '';
      const retry = h('button', { type: 'button', class: 'secondary small' }, 'Try again');
      retry.addEventListener('click', () => show(i));
      clear(wrap, alertBox(err), h('div', { class: 'buttons' }, retry));
      // the pages seen so far can still be reached
      prev.disabled = i === 0;
      next.disabled = i > at || !nextCursor;
      return;
    }
    root.removeAttribute('aria-busy');
    at = i;
    const records = res.records || [];
    nextCursor = res.nextCursor || null;
    if (!records.length && i === 0) {
      clear(wrap, h('p', { class: 'empty', text: empty || 'Nothing to show.' }));
    } else {
      clear(wrap, h('table', null,
        caption ? h('caption', { class: 'visually-hidden', text: caption }) : null,
        h('thead', null, header()),
        h('tbody', null, records.map((r) => h('tr', { 'data-id': r.id, 'aria-label': rowLabel ? rowLabel(r) : null },
          columns.map((c) => h('td', { class: c.className, 'data-label': c.label }, c.render(r))))))));
    }
    const shown = records.length;
    const total = typeof res.total === 'number' ? (res.totalEstimated ? 'about ' : '') + res.total.toLocaleString() : null;
    status.textContent = shown ? 'Page ' + (i + 1) + ' · ' + shown + ' shown' + (total !== null ? ' of ' + total : '') : '';
    prev.disabled = i === 0;
    next.disabled = !(res.hasMore && nextCursor);
  }
  prev.addEventListener('click', () => show(at - 1));
  next.addEventListener('click', () => {
    cursors.length = at + 1;
    cursors.push(nextCursor);
    show(at + 1);
  });
  root.reload = () => show(at);
  show(0);
  return root;
}

// sortParam turns {field, desc} into the API's sort parameter.
export function sortParam(sort) {
  return sort && sort.field ? (sort.desc ? '-' : '') + sort.field : undefined;
}

// parseSort reads "-created_at" back.
export function parseSort(s, fallback) {
  if (!s) return fallback;
  return s.startsWith('-') ? { field: s.slice(1), desc: true } : { field: s, desc: false };
}

// toggled is the sort after choosing field: ascending first, then
// descending, for the same field.
export function toggled(sort, field) {
  if (sort && sort.field === field) return { field, desc: !sort.desc };
  return { field, desc: false };
}
