// API keys: every user lists, mints and revokes their own; administrators
// also mint for anyone and list everyone's with filters.
import { call } from './api.js';
import { h, clear, field, running, confirm, dialog, toast, when, alertBox, showFieldErrors, pageAlert } from './ui.js';
import { me, isAdmin, drawer, go, link } from './app.js';
import { pagedTable } from './table.js';
import { recordPicker } from './picker.js';

const DAY = 24 * 3600 * 1000;
const expiries = [
  ['', 'Never'], ['7', 'In 7 days'], ['30', 'In 30 days'], ['90', 'In 90 days'], ['365', 'In one year'], ['date', 'On a date…'],
];

function state(k, now) {
  if (k.revoked) return 'revoked';
  if (k.expires_at && new Date(k.expires_at).getTime() <= now) return 'expired';
  return 'active';
}

const userText = (u) => (u.name ? u.name + ' <' + u.email + '>' : u.email || u.id);

// stateFilter is the ObjectQL filter of the list's filters.
function stateFilter(q, now) {
  const iso = new Date(now).toISOString();
  const parts = [];
  if (q.get('user')) parts.push({ user_id: q.get('user') });
  switch (q.get('state')) {
    case 'active':
      parts.push({ revoked: false, $or: [{ expires_at: { $null: true } }, { expires_at: { $gt: iso } }] });
      break;
    case 'revoked':
      parts.push({ revoked: true });
      break;
    case 'expired':
      parts.push({ revoked: false, expires_at: { $lte: iso } });
      break;
  }
  if (q.get('expiring')) {
    parts.push({ revoked: false, expires_at: { $gt: iso, $lte: new Date(now + 7 * DAY).toISOString() } });
  }
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { $and: parts };
}

export async function keysPage(q) {
  const { page } = drawer();
  const admin = isAdmin();
  const all = admin && q.get('scope') === 'all';
  const now = Date.now();
  const filterQ = new URLSearchParams(q);
  if (!all) filterQ.set('user', me.user.id);

  const mintHost = h('section', { class: 'card', 'aria-labelledby': 'mint-title' });
  const listHost = h('section', { 'aria-labelledby': 'list-title' });
  const tabs = admin ? h('nav', { class: 'tabs', 'aria-label': 'Whose keys' },
    link('keys', 'My keys', { 'aria-current': all ? null : 'page' }),
    link('keys?scope=all', 'All keys', { 'aria-current': all ? 'page' : null })) : null;
  page(all ? 'API keys of everyone' : 'Your API keys', tabs,
    h('p', { class: 'lead' }, 'An API key lets a program call this API as ', all ? 'its user' : 'you',
      ', with the same permissions. Send it as the x-api-key header.'),
    mintHost, listHost);

  mintForm(mintHost, admin, () => table.reload());

  const filters = all ? await filterBar(q) : null;
  const columns = [
    { label: 'Name', render: (k) => h('span', { class: 'key-name', text: k.name }) },
    { label: 'Prefix', render: (k) => h('code', { text: k.prefix + '…' }) },
    all ? { label: 'User', render: (k) => (k.user_id && typeof k.user_id === 'object' ? userText(k.user_id) : String(k.user_id || '')) } : null,
    { label: 'Created', sort: 'created_at', render: (k) => when(k.created_at) },
    { label: 'Last used', render: (k) => when(k.last_used_at) },
    { label: 'Expires', render: (k) => (k.expires_at ? when(k.expires_at) : h('span', { class: 'muted', text: 'never' })) },
    { label: 'State', render: (k) => { const s = state(k, now); return h('span', { class: 'badge ' + s, text: s }); } },
    { label: 'Actions', className: 'actions', render: (k) => (state(k, now) === 'revoked' ? '' : revokeButton(k, () => table.reload())) },
  ].filter(Boolean);
  const table = pagedTable({
    caption: 'API keys',
    columns,
    empty: all ? 'No key matches these filters.' : 'You have no API keys yet.',
    rowLabel: (k) => k.name,
    load: (cursor) => call('GET', '/data/sys_api_key', {
      query: { filter: stateFilter(filterQ, now), sort: '-created_at', limit: 25, cursor, expand: all ? 'user_id' : undefined },
    }),
  });
  clear(listHost, h('h2', { id: 'list-title', text: all ? 'All keys' : 'Your keys' }), filters, table);
}

async function filterBar(q) {
  // the chip names the user the API says the id is, never text from the address
  let label = q.get('user') || '';
  if (q.get('user')) {
    try {
      label = userText((await call('GET', '/data/sys_user/' + encodeURIComponent(q.get('user')), { query: { fields: 'name,email' } })).record);
    } catch (err) { /* an unknown id filters to nothing; the chip shows it */ }
  }
  const user = recordPicker({ object: 'sys_user', name: 'user', describe: userText, value: q.get('user') || '', text: label });
  const st = h('select', { name: 'state' },
    [['', 'Any state'], ['active', 'Active'], ['revoked', 'Revoked'], ['expired', 'Expired']].map(([v, t]) =>
      h('option', { value: v, selected: q.get('state') === v }, t)));
  const soon = h('input', { type: 'checkbox', name: 'expiring', checked: Boolean(q.get('expiring')) });
  const apply = h('button', { type: 'submit' }, 'Apply filters');
  const form = h('form', { class: 'filters', novalidate: true, 'aria-label': 'Filter keys' },
    field('User', user.input, { el: user.el }),
    field('State', st),
    h('div', { class: 'field check' }, h('label', null, soon, ' Expiring within 7 days')),
    h('div', { class: 'buttons' }, apply, link('keys?scope=all', 'Clear filters', { class: 'button secondary' })));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go('keys', { scope: 'all', user: user.value(), state: st.value, expiring: soon.checked ? '1' : '' });
  });
  return form;
}

function revokeButton(k, done) {
  const b = h('button', { type: 'button', class: 'danger small', 'aria-label': 'Revoke ' + k.name }, 'Revoke');
  b.addEventListener('click', async () => {
    const yes = await confirm('Revoke this key?',
      'Revoke "' + k.name + '" (' + k.prefix + '…)? Programs using it stop working at once. This cannot be undone.', 'Revoke key');
    if (!yes) { b.focus(); return; }
    await running(b, async () => {
      try {
        await call('POST', '/actions/sys_api_key/revoke_api_key/' + encodeURIComponent(k.id), { body: { params: {} } });
        toast('Key "' + k.name + '" revoked.');
        done();
      } catch (err) {
        pageAlert(Object.assign(err, { message: 'Could not revoke "' + k.name + '": ' + err.message }));
      }
    });
  });
  return b;
}

function mintForm(host, admin, done) {
  const name = h('input', { type: 'text', name: 'name', maxlength: 100, autocomplete: 'off' });
  const expiry = h('select', { name: 'expiry' }, expiries.map(([v, t]) => h('option', { value: v }, t)));
  const date = h('input', { type: 'date', name: 'expires_at', min: new Date(Date.now() + DAY).toISOString().slice(0, 10) });
  const dateField = field('Expiry date', date);
  dateField.hidden = true;
  expiry.addEventListener('change', () => { dateField.hidden = expiry.value !== 'date'; if (!dateField.hidden) date.focus(); });
  const user = admin ? recordPicker({ object: 'sys_user', name: 'user_id', describe: userText, placeholder: 'Yourself, or search a user…' }) : null;
  const submit = h('button', { type: 'submit' }, 'Create key');
  const msg = h('div', { 'aria-live': 'assertive' });
  const userField = admin ? field('For user', user.input, { el: user.el, hint: 'Leave empty to create the key for yourself.' }) : null;
  const form = h('form', { novalidate: true, class: 'mint' },
    h('h2', { id: 'mint-title', text: 'Create a key' }),
    h('div', { class: 'row' },
      field('Name', name, { required: true, hint: 'What the key is for, such as "billing sync".' }),
      userField,
      field('Expires', expiry),
      dateField),
    msg,
    h('div', { class: 'buttons' }, submit));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    running(submit, async () => {
      clear(msg);
      const body = { name: name.value.trim() };
      if (expiry.value === 'date') {
        if (date.value) body.expires_at = new Date(date.value + 'T23:59:59').toISOString();
      } else if (expiry.value) {
        body.expires_at = new Date(Date.now() + Number(expiry.value) * DAY).toISOString();
      }
      if (user && user.value()) body.user_id = user.value();
      try {
        const minted = await call('POST', '/keys', { body });
        showFieldErrors(form, []);
        name.value = '';
        await showSecret(minted, user && user.value() ? form.querySelector('.chip').textContent : '');
        if (user) user.set('', '');
        done();
      } catch (err) {
        const fields = (err.fields || []).map((f) => (f.field === 'expires_at' ? { ...f, field: expiry.value === 'date' ? 'expires_at' : 'expiry' } : f));
        const rest = showFieldErrors(form, fields);
        clear(msg, alertBox(rest.length ? Object.assign(err, { message: err.message + ': ' + rest.join('; ') }) : err));
      }
    });
  });
  host.append(form);
}

// showSecret shows a new key's secret, once.
function showSecret(minted, forUser) {
  return dialog('Your new API key', (close) => {
    const secret = h('code', { id: 'new-key-secret', class: 'secret', text: minted.key, tabindex: '0' });
    const copied = h('span', { class: 'muted', role: 'status', 'aria-live': 'polite' });
    const copy = h('button', { type: 'button', id: 'copy-key', autofocus: true }, 'Copy');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(minted.key);
        copied.textContent = 'Copied to the clipboard.';
      } catch (e) {
        const range = document.createRange();
        range.selectNodeContents(secret);
        const sel = getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        copied.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy.';
      }
    });
    return h('div', { class: 'secret-box' },
      h('p', { class: 'warning', role: 'alert' },
        h('strong', null, 'Copy this key now. You will not see it again.'),
        ' objectos keeps only a hash of it.'),
      h('p', null, 'Key "', minted.name, '"', forUser ? ' for ' + forUser : '',
        minted.expires_at ? [', expires ', when(minted.expires_at)] : ', never expires', '.'),
      h('div', { class: 'secret-row' }, secret, copy),
      copied,
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary', onclick: () => close(true) }, 'I have copied it')));
  });
}
