// The data browser: the objects the caller may read, a table per object
// (sort, filters built from the field types, cursor paging), a record page
// with its actions, and create and edit forms generated from the metadata.
import { call, objectMeta, objectList, actionsOf, ApiError } from './api.js';
import { h, clear, field, running, confirm, dialog, toast, when, alertBox, showFieldErrors, pageAlert, uid } from './ui.js';
import { drawer, go, link, href, isAdmin } from './app.js';
import { pagedTable, parseSort, sortParam, toggled } from './table.js';
import { recordPicker } from './picker.js';

const NUMBER = new Set(['number', 'currency', 'percent', 'rating', 'slider', 'progress']);
const TEXT = new Set(['text', 'email', 'url', 'phone', 'color']);
const LONG = new Set(['textarea', 'markdown', 'html', 'richtext', 'code']);
const CHOICE = new Set(['select', 'radio']);
const MULTI = new Set(['multiselect', 'checkboxes']);
const LOOKUP = new Set(['lookup', 'master_detail', 'user']);
const BOOL = new Set(['boolean', 'toggle']);
const COMPUTED = new Set(['autonumber', 'formula']);

// fieldsOf lists an object's fields: its name field first, then required
// ones, then the others, each group by label.
const fieldsOf = (meta) => {
  const nameField = meta.nameField || 'name';
  const rank = (f) => (f.name === nameField ? 0 : f.required && !f.system ? 1 : 2);
  return Object.values(meta.fields || {}).sort((a, b) => rank(a) - rank(b) || label(a).localeCompare(label(b)));
};
const label = (f) => f.label || f.name;
const singular = (meta) => meta.label || meta.name;
const plural = (meta) => meta.pluralLabel || meta.label || meta.name;
const optionText = (f, v) => { const o = (f.options || []).find((o) => o.value === v); return o ? o.label || o.value : String(v); };
const SECRET = new Set(['password', 'secret']);
const refOf = (f) => f.reference || (f.type === 'user' ? 'sys_user' : '');
const enc = encodeURIComponent;
// expandable: lookups are shown by name; users too for administrators
// (others may read only their own user record)
const expandable = (f) => LOOKUP.has(f.type) && (refOf(f).indexOf('sys_') !== 0 || (refOf(f) === 'sys_user' && isAdmin()));

export async function objectsPage() {
  const { page } = drawer();
  const objects = (await objectList()).filter((o) => !o.isSystem && o.name.indexOf('sys_') !== 0);
  page('Data',
    h('p', { class: 'lead', text: 'The objects you may read. Each table shows only the records and fields your permissions let you see.' }),
    objects.length ? h('ul', { class: 'objects' }, objects.map((o) => h('li', null,
      link('data/' + enc(o.name), plural(o)),
      o.description ? h('p', { class: 'muted', text: o.description }) : null))) :
      h('p', { class: 'empty', text: 'You cannot read any object yet. Ask an administrator for a permission set.' }));
}

// show renders a value of a field for reading.
function show(f, v, meta) {
  if (v === null || v === undefined || v === '') return h('span', { class: 'muted', text: '—' });
  if (BOOL.has(f.type)) return v ? 'Yes' : 'No';
  if (f.type === 'datetime') return when(v);
  if (CHOICE.has(f.type)) return optionText(f, v);
  if (Array.isArray(v)) return v.map((x) => optionText(f, x)).join(', ');
  if (NUMBER.has(f.type) && typeof v === 'number') {
    return v.toLocaleString(undefined, { maximumFractionDigits: f.scale ?? 20 }) + (f.type === 'percent' ? ' %' : '');
  }
  if (LOOKUP.has(f.type)) {
    const target = refOf(f);
    if (v && typeof v === 'object') {
      const text = v.name || v.label || v.title || v.email || v.id;
      return target.indexOf('sys_') === 0 ? String(text) : link('data/' + enc(target) + '/' + enc(v.id), String(text));
    }
    return target.indexOf('sys_') === 0 ? h('code', { text: String(v) }) : link('data/' + enc(target) + '/' + enc(v), String(v));
  }
  if (f.type === 'url' && /^https?:\/\//i.test(v)) return h('a', { href: v, rel: 'noopener noreferrer', target: '_blank' }, v);
  if (f.type === 'json' || typeof v === 'object') return h('code', { text: JSON.stringify(v) });
  return String(v);
}

// columnsOf are the fields a table shows: the record's name first, then
// the caller's other visible fields, then when it was created.
function columnsOf(meta) {
  const fs = fieldsOf(meta).filter((f) => !f.system && !LONG.has(f.type) && f.type !== 'json' && !SECRET.has(f.type));
  const created = meta.fields.created_at;
  return created ? [...fs, created] : fs;
}

// filterSpec reads the table's filters from the address: f.<field> (an
// option, a boolean, or text contained), f.<field>.min and f.<field>.max.
function filterSpec(meta, q) {
  const parts = [];
  for (const f of fieldsOf(meta)) {
    const v = q.get('f.' + f.name);
    const min = q.get('f.' + f.name + '.min');
    const max = q.get('f.' + f.name + '.max');
    if (v) {
      if (CHOICE.has(f.type)) parts.push({ [f.name]: v });
      else if (BOOL.has(f.type)) parts.push({ [f.name]: v === 'true' });
      else parts.push({ [f.name]: { $icontains: v } });
    }
    const range = {};
    const num = NUMBER.has(f.type);
    // a datetime's day is the reader's day, as the table shows it
    const at = (day, end) => new Date(day + (end ? 'T23:59:59.999' : 'T00:00:00')).toISOString();
    if (min) range.$gte = num ? Number(min) : f.type === 'datetime' ? at(min, false) : min;
    if (max) range.$lte = num ? Number(max) : f.type === 'datetime' ? at(max, true) : max;
    if (min || max) parts.push({ [f.name]: range });
  }
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { $and: parts };
}

// filterForm builds the filter controls from the field types.
function filterForm(meta, q, apply) {
  const controls = [];
  const fs = fieldsOf(meta).filter((f) => (!f.system || f.name === 'created_at') && f.sortable !== false);
  for (const f of fs) {
    const key = 'f.' + f.name;
    if (CHOICE.has(f.type)) {
      controls.push(field(label(f), h('select', { name: key },
        h('option', { value: '' }, 'Any'),
        (f.options || []).map((o) => h('option', { value: o.value, selected: q.get(key) === o.value }, o.label || o.value)))));
    } else if (BOOL.has(f.type)) {
      controls.push(field(label(f), h('select', { name: key },
        [['', 'Any'], ['true', 'Yes'], ['false', 'No']].map(([v, t]) => h('option', { value: v, selected: q.get(key) === v }, t)))));
    } else if (NUMBER.has(f.type) || f.type === 'date' || f.type === 'datetime') {
      const type = NUMBER.has(f.type) ? 'number' : 'date';
      const extra = type === 'number' ? { step: 'any' } : {};
      controls.push(h('fieldset', { class: 'range' }, h('legend', null, label(f)),
        field('From', h('input', { type, name: key + '.min', value: q.get(key + '.min') || '', ...extra })),
        field('To', h('input', { type, name: key + '.max', value: q.get(key + '.max') || '', ...extra }))));
    } else if (TEXT.has(f.type) || LONG.has(f.type)) {
      controls.push(field(label(f) + ' contains', h('input', { type: 'search', name: key, value: q.get(key) || '' })));
    }
  }
  const sortable = fieldsOf(meta).filter((f) => f.sortable !== false && !SECRET.has(f.type));
  const current = q.get('sort') || '-created_at';
  const sortSelect = h('select', { name: 'sort' }, sortable.map((f) => [
    h('option', { value: f.name, selected: current === f.name }, label(f) + ', ascending'),
    h('option', { value: '-' + f.name, selected: current === '-' + f.name }, label(f) + ', descending')]));
  controls.push(field('Sort by', sortSelect));
  const search = meta.enable && meta.enable.searchable ?
    field('Search', h('input', { type: 'search', name: 'search', value: q.get('search') || '' })) : null;
  const form = h('form', { class: 'filters', role: 'search', novalidate: true, 'aria-label': 'Filter ' + plural(meta) },
    search, controls,
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Apply filters'),
      link('data/' + enc(meta.name), 'Clear', { class: 'button secondary' })));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = {};
    for (const el of form.elements) if (el.name && el.value) next[el.name] = el.value;
    apply(next);
  });
  return h('details', { class: 'filter-box', open: [...q.keys()].some((k) => k.startsWith('f.') || k === 'search') },
    h('summary', null, 'Filters and sorting'), form);
}

export async function tablePage(name, q) {
  const { page, problem } = drawer();
  let meta;
  try { meta = await objectMeta(name); } catch (err) { return problem(err); }
  const sort = parseSort(q.get('sort'), { field: 'created_at', desc: true });
  const cols = columnsOf(meta);
  const expand = cols.filter((f) => expandable(f)).map((f) => f.name);
  const nameField = meta.nameField || 'name';
  const filter = filterSpec(meta, q);
  const table = pagedTable({
    caption: plural(meta),
    sort,
    onSort: (f) => {
      const next = Object.fromEntries(q);
      next.sort = sortParam(toggled(sort, f));
      go('data/' + enc(name), next);
    },
    empty: filter || q.get('search') ? 'No record matches these filters.' : 'No records yet.',
    rowLabel: (r) => String(r[nameField] || r.id),
    columns: cols.map((f) => ({
      label: label(f),
      sort: f.sortable !== false ? f.name : null,
      render: f.name === nameField ?
        (r) => link('data/' + enc(name) + '/' + enc(r.id), String(r[f.name] || r.id)) :
        (r) => show(f, r[f.name], meta),
    })),
    load: (cursor) => call('GET', '/data/' + enc(name), {
      query: { filter, search: q.get('search'), sort: sortParam(sort), limit: 25, cursor, expand: expand.join(',') || undefined },
    }),
  });
  const perms = meta.permissions || {};
  page(plural(meta),
    h('div', { class: 'toolbar' },
      perms.allowCreate ? link('data/' + enc(name) + '/new', 'New ' + singular(meta), { class: 'button' }) : null),
    filterForm(meta, q, (next) => go('data/' + enc(name), next)),
    table);
}

export async function recordPage(name, id) {
  const { page, problem } = drawer();
  let meta;
  let rec;
  let actions;
  try {
    meta = await objectMeta(name);
    const expand = fieldsOf(meta).filter((f) => expandable(f)).map((f) => f.name);
    [rec, actions] = await Promise.all([
      call('GET', '/data/' + enc(name) + '/' + enc(id), { query: { expand: expand.join(',') || undefined } }).then((a) => a.record),
      actionsOf(name),
    ]);
  } catch (err) {
    return problem(err);
  }
  const perms = meta.permissions || {};
  const title = String(rec[meta.nameField || 'name'] || rec.id);
  const buttons = h('div', { class: 'toolbar' });
  if (perms.allowEdit) buttons.append(link('data/' + enc(name) + '/' + enc(id) + '/edit', 'Edit', { class: 'button' }));
  // the actions of a record (those placed on lists or toolbars run elsewhere)
  const onRecord = (a) => !(a.locations || []).length || a.locations.some((l) => l.indexOf('record') === 0);
  for (const a of actions.filter(onRecord)) buttons.append(actionButton(meta, a, rec));
  if (perms.allowDelete) {
    const del = h('button', { type: 'button', class: 'danger' }, 'Delete');
    del.addEventListener('click', async () => {
      if (!await confirm('Delete ' + title + '?', 'The record is deleted for good.', 'Delete')) return;
      await running(del, async () => {
        try {
          await call('DELETE', '/data/' + enc(name) + '/' + enc(id));
          toast(singular(meta) + ' "' + title + '" deleted.');
          go('data/' + enc(name));
        } catch (err) {
          pageAlert(Object.assign(err, { message: 'Could not delete: ' + err.message }));
        }
      });
    });
    buttons.append(del);
  }
  const fs = fieldsOf(meta);
  const own = fs.filter((f) => !f.system);
  const sys = fs.filter((f) => f.system);
  const list = (fields) => h('dl', { class: 'facts' }, fields.map((f) => [
    h('dt', null, label(f)), h('dd', { 'data-field': f.name }, show(f, rec[f.name], meta))]));
  page(title,
    h('p', { class: 'muted' }, link('data/' + enc(name), '← ' + plural(meta))),
    buttons, list(own),
    h('details', { class: 'system' }, h('summary', null, 'Record details'), list(sys)));
}

// actionButton runs an action on the record, asking for its parameters.
function actionButton(meta, a, rec) {
  const b = h('button', { type: 'button', class: a.variant === 'danger' ? 'danger' : 'secondary', 'data-action': a.name }, a.label || a.name);
  b.addEventListener('click', async () => {
    let params = {};
    if ((a.params || []).length) {
      params = await dialog(a.label || a.name, (close) => paramsForm(a, close));
      if (!params) { b.focus(); return; }
    } else if (a.confirmText) {
      if (!await confirm(a.label || a.name, a.confirmText, a.label || 'Run')) { b.focus(); return; }
    }
    await running(b, async () => {
      try {
        await call('POST', '/actions/' + enc(meta.name) + '/' + enc(a.name) + '/' + enc(rec.id), { body: { params } });
        toast(a.successMessage || (a.label || a.name) + ': done.');
        go('data/' + enc(meta.name) + '/' + enc(rec.id), null, { replace: true });
      } catch (err) {
        pageAlert(Object.assign(err, { message: (a.label || a.name) + ' failed: ' + err.message }));
      }
    });
  });
  return b;
}

function paramsForm(a, close) {
  const inputs = (a.params || []).map((p) => {
    const f = { ...p, type: p.type || 'text' };
    return { p, ...input(f, usableDefault(f)) };
  });
  const msg = h('div', { 'aria-live': 'assertive' });
  const form = h('form', { novalidate: true },
    a.confirmText ? h('p', { text: a.confirmText }) : null,
    inputs.map(({ p, el, control, group }) => place(p.label || p.name, p.name, { control, el, group }, { required: p.required })),
    msg,
    h('div', { class: 'buttons' },
      h('button', { type: 'button', class: 'secondary', onclick: () => close(null) }, 'Cancel'),
      h('button', { type: 'submit' }, a.label || 'Run')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = {};
    const errs = [];
    for (const i of inputs) {
      try {
        const v = i.get();
        if (v !== undefined && v !== null && v !== '') params[i.p.name] = v;
        else if (i.p.required) errs.push({ field: i.p.name, code: 'required', message: (i.p.label || i.p.name) + ' is required' });
      } catch (err) {
        errs.push({ field: i.p.name, code: 'invalid', message: err.message });
      }
    }
    if (errs.length) { showFieldErrors(form, errs); return; }
    close(params);
  });
  return form;
}

// toLocalInput turns an ISO timestamp into a datetime-local value (to the
// second: the input's step is 1 s).
function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (isNaN(d)) return '';
  const p = (n) => String(n).padStart(2, '0');
  return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes()) +
    ':' + p(d.getSeconds());
}

// usableDefault is a field's default as a form can show it: defaults the
// server computes (current_user, NOW(), date macros) are left to it.
function usableDefault(f) {
  const v = f.defaultValue;
  if (v === undefined || v === null) return undefined;
  if (LOOKUP.has(f.type)) return undefined;
  if (typeof v === 'string' && (/^[A-Z_]+\(\)$/.test(v) || /^\{.*\}$/.test(v) || v === 'current_user')) return undefined;
  if (f.type === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(String(v))) return undefined;
  if (f.type === 'datetime' && isNaN(new Date(v))) return undefined;
  return v;
}

// input builds the control of a field: {control (labelled), el (placed),
// group (a set of checkboxes, labelled by a legend), get() (the wire value;
// undefined when empty; throws when malformed), changed() (whether the user
// touched it)}.
function input(f, value) {
  const out = build(f, value);
  let touched = false;
  const mark = () => { touched = true; };
  const root = out.el || out.control;
  root.addEventListener('input', mark);
  root.addEventListener('change', mark);
  if (out.picker) out.picker.onChange(mark);
  out.changed = () => touched;
  return out;
}

function build(f, value) {
  const name = f.name;
  if (BOOL.has(f.type)) {
    const c = h('input', { type: 'checkbox', name, checked: Boolean(value) });
    return { control: c, get: () => c.checked };
  }
  if (CHOICE.has(f.type)) {
    const c = h('select', { name },
      h('option', { value: '' }, '—'),
      (f.options || []).map((o) => h('option', { value: o.value, selected: value === o.value }, o.label || o.value)));
    return { control: c, get: () => (c.value === '' ? undefined : c.value) };
  }
  if (MULTI.has(f.type)) {
    const held = Array.isArray(value) ? value : [];
    const known = new Set((f.options || []).map((o) => o.value));
    // values no longer among the options are kept, and shown
    const options = [...(f.options || []), ...held.filter((v) => !known.has(v)).map((v) => ({ value: v, label: v }))];
    const boxes = options.map((o) => h('input', { type: 'checkbox', name, value: o.value, checked: held.includes(o.value) }));
    const el = h('div', { class: 'checks' }, options.map((o, i) => h('label', null, boxes[i], ' ', o.label || o.value)));
    return { control: boxes[0] || h('input', { type: 'hidden', name }), el, group: true,
      get: () => boxes.filter((b) => b.checked).map((b) => b.value) };
  }
  if (f.type === 'tags') {
    // one tag per line: a tag may hold a comma
    const c = h('textarea', { name, rows: 3 });
    c.value = Array.isArray(value) ? value.join('\n') : '';
    return { control: c, hint: 'One per line.',
      get: () => { const v = c.value.split('\n').map((s) => s.trim()).filter(Boolean); return v.length ? v : undefined; } };
  }
  if (LOOKUP.has(f.type)) {
    const target = refOf(f);
    const text = value && typeof value === 'object' ? (value.name || value.email || value.id) : value;
    const picker = recordPicker({ object: target, name, value: value && typeof value === 'object' ? value.id : value || '', text,
      describe: target === 'sys_user' ? (u) => (u.name ? u.name + ' <' + u.email + '>' : u.email) : undefined });
    return { control: picker.input, el: picker.el, picker, get: () => picker.value() || undefined };
  }
  if (NUMBER.has(f.type)) {
    const c = h('input', { type: 'number', name, value: value ?? '', step: f.scale !== undefined ? String(10 ** -f.scale) : 'any',
      min: f.min, max: f.max, inputmode: 'decimal' });
    return { control: c, get: () => { if (c.value === '') { if (c.validity.badInput) throw new Error('Enter a number'); return undefined; } return Number(c.value); } };
  }
  if (f.type === 'date' || f.type === 'time') {
    const c = h('input', { type: f.type, name, value: value || '', step: f.type === 'time' ? 1 : undefined });
    return { control: c, get: () => (c.value === '' ? undefined : f.type === 'time' && c.value.length === 5 ? c.value + ':00' : c.value) };
  }
  if (f.type === 'datetime') {
    const c = h('input', { type: 'datetime-local', name, value: toLocalInput(value), step: 1 });
    return { control: c, get: () => (c.value === '' ? undefined : new Date(c.value).toISOString()) };
  }
  if (f.type === 'json') {
    const c = h('textarea', { name, rows: 4, spellcheck: 'false' });
    c.value = value === undefined || value === null ? '' : JSON.stringify(value, null, 2);
    return { control: c, get: () => { if (!c.value.trim()) return undefined; try { return JSON.parse(c.value); } catch (e) { throw new Error('This is not valid JSON'); } } };
  }
  if (LONG.has(f.type)) {
    const c = h('textarea', { name, rows: 4, maxlength: f.maxLength });
    c.value = value ?? '';
    return { control: c, get: () => (c.value === '' ? undefined : c.value) };
  }
  const types = { email: 'email', url: 'url', phone: 'tel', password: 'password', secret: 'password' };
  // a secret is never shown: the API masks it; an empty box leaves it as it is
  const shown = SECRET.has(f.type) ? '' : value ?? '';
  const c = h('input', { type: types[f.type] || 'text', name, value: shown, maxlength: f.maxLength,
    autocomplete: types[f.type] === 'password' ? 'new-password' : 'off' });
  return { control: c, get: () => (c.value === '' ? undefined : c.value) };
}

// place lays out a field's control: a label, or a fieldset and legend for a
// group of checkboxes, with room for the API's error.
function place(text, name, { control, el, group, hint }, opts) {
  if (!group) return field(text, control, { el, hint, ...opts });
  const err = h('p', { class: 'field-error', id: uid('err'), hidden: true });
  return h('fieldset', { class: 'field', 'data-field': name, 'aria-describedby': err.id },
    h('legend', null, text, opts && opts.required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null),
    el, err);
}

export async function formPage(name, id) {
  const { page, problem } = drawer();
  let meta;
  let rec = null;
  let etag = null;
  try {
    meta = await objectMeta(name);
    if (id) {
      const lookups = fieldsOf(meta).filter((f) => LOOKUP.has(f.type) && !f.system && expandable(f)).map((f) => f.name);
      const res = await call('GET', '/data/' + enc(name) + '/' + enc(id), { query: { expand: lookups.join(',') || undefined } });
      rec = res.record;
      etag = res.etag;
    }
  } catch (err) {
    return problem(err);
  }
  const perms = meta.permissions || {};
  if (id ? !perms.allowEdit : !perms.allowCreate) {
    return problem(new ApiError(403, { code: 'PERMISSION_DENIED', message: 'You may not ' + (id ? 'edit' : 'create') + ' ' + plural(meta) + '.' }));
  }
  const editable = fieldsOf(meta).filter((f) => !f.system && !f.readonly && f.editable !== false && !COMPUTED.has(f.type));
  const inputs = editable.map((f) => ({ f, ...input(f, rec ? rec[f.name] : usableDefault(f)) }));
  const submit = h('button', { type: 'submit' }, id ? 'Save changes' : 'Create');
  const msg = h('div', { 'aria-live': 'assertive' });
  const cancel = link(id ? 'data/' + enc(name) + '/' + enc(id) : 'data/' + enc(name), 'Cancel', { class: 'button secondary' });
  const form = h('form', { class: 'card record-form', novalidate: true, id: uid('form') },
    inputs.map((i) => place(label(i.f), i.f.name, { ...i, hint: [i.f.description, i.hint].filter(Boolean).join(' ') || undefined },
      { required: i.f.required })),
    msg,
    h('div', { class: 'buttons' }, submit, cancel));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    running(submit, async () => {
      clear(msg);
      const body = {};
      const local = [];
      for (const i of inputs) {
        // a create sends what was filled in; an edit, what the user changed
        if (id && !i.changed()) continue;
        let v;
        try { v = i.get(); } catch (err) { local.push({ field: i.f.name, code: 'invalid', message: err.message }); continue; }
        if (id) body[i.f.name] = v === undefined ? null : v;
        else if (v !== undefined) body[i.f.name] = v;
      }
      if (local.length) { showFieldErrors(form, local); return; }
      if (id && !Object.keys(body).length) { go('data/' + enc(name) + '/' + enc(id)); return; }
      try {
        const res = id ?
          await call('PATCH', '/data/' + enc(name) + '/' + enc(id), { body, headers: etag ? { 'If-Match': etag } : {} }) :
          await call('POST', '/data/' + enc(name), { body });
        toast(singular(meta) + (id ? ' saved.' : ' created.'));
        go('data/' + enc(name) + '/' + enc(res.id || id));
      } catch (err) {
        const rest = showFieldErrors(form, err.fields);
        const words = err.code === 'CONCURRENT_UPDATE' ? 'Someone changed this record since you opened it. Reload the page to see their change.' : err.message;
        clear(msg, alertBox(Object.assign(err, { message: words + (rest.length ? ': ' + rest.join('; ') : '') })));
      }
    });
  });
  page(id ? 'Edit ' + String(rec[meta.nameField || 'name'] || id) : 'New ' + singular(meta),
    h('p', { class: 'muted' }, link('data/' + enc(name), '← ' + plural(meta))),
    h('p', { class: 'muted' }, 'Fields marked * are required.'),
    form);
  const first = form.querySelector('input, select, textarea');
  if (first) first.focus();
}

export { href };
