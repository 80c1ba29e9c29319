// A searchable picker of one record (a user, an account): an ARIA
// combobox over the data API's search.
import { call, objectMeta } from './api.js';
import { h, clear, uid } from './ui.js';

// recordPicker returns {el, input, value(), set(id, text)}: el holds a
// search box; choosing a result sets the value (a record id).
// describe(record) gives the text shown for a record.
export function recordPicker({ object, name, describe, value, text, onChange, placeholder }) {
  const listId = uid('list');
  const input = h('input', {
    type: 'search', name: name || '', autocomplete: 'off', role: 'combobox', 'aria-autocomplete': 'list',
    'aria-expanded': 'false', 'aria-controls': listId, placeholder: placeholder || 'Type to search…',
  });
  const list = h('ul', { id: listId, role: 'listbox', class: 'picker-list', hidden: true });
  const chosen = h('div', { class: 'picker-chosen', hidden: true });
  const el = h('div', { class: 'picker' }, chosen, input, list);
  let current = value || '';
  const listeners = onChange ? [onChange] : [];
  let results = [];
  let active = -1;
  let timer = 0;
  let seq = 0;

  function set(id, label) {
    current = id || '';
    input.value = '';
    close();
    if (current) {
      const clearBtn = h('button', { type: 'button', class: 'secondary small', 'aria-label': 'Clear ' + (label || current) }, 'Clear');
      clearBtn.addEventListener('click', () => { set('', ''); input.focus(); });
      clear(chosen, h('span', { class: 'chip', 'data-value': current, text: label || current }), clearBtn);
      chosen.hidden = false;
    } else {
      clear(chosen);
      chosen.hidden = true;
    }
    listeners.forEach((fn) => fn(current));
  }
  function close() {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  }
  function highlight(i) {
    active = i;
    list.querySelectorAll('[role=option]').forEach((o, j) => o.setAttribute('aria-selected', j === i ? 'true' : 'false'));
    const o = list.children[i];
    if (o && o.id) input.setAttribute('aria-activedescendant', o.id);
  }
  async function search(q) {
    const mine = ++seq;
    let res;
    let nameField = 'name';
    try {
      const meta = await objectMeta(object);
      nameField = meta.nameField || 'name';
      const query = { limit: 8, count: 'false', sort: nameField };
      if (meta.enable && meta.enable.searchable !== false && Object.values(meta.fields || {}).some((f) => f.searchable)) {
        if (q) query.search = q;
      } else if (q) {
        query.filter = { [nameField]: { $icontains: q } };
      }
      res = await call('GET', '/data/' + encodeURIComponent(object), { query });
    } catch (err) {
      if (mine !== seq) return;
      clear(list, h('li', { class: 'muted', text: err.message + (err.code ? ' (' + err.code + ')' : '') }));
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      results = [];
      return;
    }
    if (mine !== seq) return;
    results = res.records || [];
    clear(list, results.length ? results.map((r, i) => {
      const li = h('li', { id: listId + '-' + i, role: 'option', 'aria-selected': 'false', 'data-value': r.id },
        describe ? describe(r) : String(r[nameField] || r.id));
      li.addEventListener('mousedown', (e) => { e.preventDefault(); pick(i); });
      return li;
    }) : h('li', { class: 'muted', text: 'No match' }));
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    active = -1;
  }
  function pick(i) {
    const r = results[i];
    if (!r) return;
    objectMeta(object).then((meta) => set(r.id, describe ? describe(r) : String(r[meta.nameField || 'name'] || r.id)),
      () => set(r.id, describe ? describe(r) : String(r.name || r.id)));
  }
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => search(input.value.trim()), 200);
  });
  // a click (not a focus, which may be a form pointing at an error) opens
  // the first results; so does the down arrow
  input.addEventListener('click', () => { if (!input.value && list.hidden) search(''); });
  input.addEventListener('blur', () => setTimeout(close, 150));
  // Enter on an option chooses it and does not submit the form: where a
  // keypress follows a keydown that chose (some input methods send both),
  // it is swallowed too
  let swallow = false;
  input.addEventListener('keypress', (e) => {
    if (e.key === 'Enter' && swallow) e.preventDefault();
    swallow = false;
  });
  input.addEventListener('keydown', (e) => {
    const n = results.length;
    if (e.key === 'ArrowDown' && list.hidden) { e.preventDefault(); search(input.value.trim()); }
    else if (e.key === 'ArrowDown' && n) { e.preventDefault(); highlight((active + 1) % n); }
    else if (e.key === 'ArrowUp' && n) { e.preventDefault(); highlight((active - 1 + n) % n); }
    else if (e.key === 'Enter' && !list.hidden && active >= 0) { e.preventDefault(); swallow = true; pick(active); }
    else if (e.key === 'Escape' && !list.hidden) { e.preventDefault(); e.stopPropagation(); close(); }
  });
  if (current) set(current, text || current);
  return { el, input, value: () => current, set, onChange: (fn) => listeners.push(fn) };
}
