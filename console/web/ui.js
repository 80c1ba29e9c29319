// Small DOM helpers: elements are built with h(), never from HTML strings,
// so no text from the API is ever parsed as markup.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'value') el.value = v;
      else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'multiple') el[k] = Boolean(v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let seq = 0;
export function uid(prefix) { seq += 1; return (prefix || 'id') + '-' + seq; }

// describe turns an error into plain words with the API's code, and how
// long to wait when the API said so (Retry-After of a locked account) and
// its message does not (a spent rate limit's does).
export function describe(err) {
  if (!err) return '';
  const message = err.message || String(err);
  const code = err.code ? ' (' + err.code + ')' : '';
  return message + code + (/\d+ (second|minute|hour)/.test(message) ? '' : waitWords(err.retryAfter));
}

function waitWords(seconds) {
  if (!(seconds > 0)) return '';
  if (seconds < 60) return '. Try again in ' + seconds + (seconds === 1 ? ' second.' : ' seconds.');
  const minutes = Math.ceil(seconds / 60);
  return '. Try again in ' + minutes + (minutes === 1 ? ' minute.' : ' minutes.');
}

// alert is an error box for a failed request.
export function alertBox(err) {
  return h('p', { class: 'alert', role: 'alert' }, describe(err));
}

const toastEl = () => document.getElementById('toast');
let toastTimer = 0;
// toast says something briefly in the status region.
export function toast(message) {
  const el = toastEl();
  el.textContent = message;
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 5000);
}

// dialog shows a modal built by build(close) and resolves with what close
// is called with (undefined when dismissed with Escape).
export function dialog(title, build) {
  const dlg = document.getElementById('dialog');
  return new Promise((resolve) => {
    let done = false;
    const close = (value) => {
      if (done) return;
      done = true;
      dlg.close();
      clear(dlg); // nothing shown in it (a new key's secret) outlives it
      resolve(value);
    };
    // the close event of a dialog closed just before this one opened
    // comes after it did: only one that finds the dialog closed is ours
    dlg.onclose = () => { if (!dlg.open) close(undefined); };
    clear(dlg, h('h2', { id: 'dialog-title', text: title }), build(close));
    dlg.showModal();
    const first = dlg.querySelector('[autofocus], input, select, textarea, button');
    if (first) first.focus();
  });
}

// confirm asks a yes/no question; the dangerous answer is not the default.
export function confirm(title, message, yes) {
  return dialog(title, (close) => h('div', null,
    h('p', { text: message }),
    h('div', { class: 'buttons' },
      h('button', { type: 'button', class: 'secondary', autofocus: true, onclick: () => close(false) }, 'Cancel'),
      h('button', { type: 'button', class: 'danger', onclick: () => close(true) }, yes || 'Confirm')))).then(Boolean);
}

// running disables a button while fn runs, and marks it busy.
export async function running(button, fn) {
  if (button) { button.disabled = true; button.setAttribute('aria-busy', 'true'); }
  try {
    return await fn();
  } finally {
    if (button) { button.disabled = false; button.removeAttribute('aria-busy'); }
  }
}

// when formats an ISO timestamp for people, in their time zone; the
// precise value is in the element's title and datetime.
export function when(iso) {
  if (!iso) return h('span', { class: 'muted', text: '—' });
  const d = new Date(iso);
  if (isNaN(d)) return String(iso);
  return h('time', { datetime: iso, title: iso }, d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }));
}

// field builds a labelled control with room for an error message; el,
// when given, is placed instead of control (a picker around its input).
export function field(label, control, { hint, required, error, el } = {}) {
  const id = control.id || uid('f');
  control.id = id;
  const errId = id + '-error';
  const hintId = hint ? id + '-hint' : null;
  const described = [hintId, errId].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', described);
  if (required) control.setAttribute('aria-required', 'true');
  const err = h('p', { class: 'field-error', id: errId, hidden: !error }, error || '');
  return h('div', { class: 'field', 'data-field': control.name || '' },
    h('label', { for: id }, label, required ? h('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null),
    el || control,
    hint ? h('p', { class: 'hint', id: hintId, text: hint }) : null,
    err);
}

// showFieldErrors puts the API's per-field errors next to the controls of
// form, and returns the messages of fields the form has no control for.
export function showFieldErrors(form, fields) {
  for (const el of form.querySelectorAll('.field')) {
    const e = el.querySelector('.field-error');
    if (!e) continue; // a row of a group of checkboxes: no error of its own
    const c = el.querySelector('input, select, textarea');
    e.hidden = true;
    e.textContent = '';
    if (c) c.removeAttribute('aria-invalid');
  }
  const rest = [];
  let first = null;
  for (const f of fields || []) {
    const el = form.querySelector('.field[data-field="' + CSS.escape(f.field || '') + '"]');
    if (!el || !el.querySelector('.field-error')) { rest.push((f.field ? f.field + ': ' : '') + f.message); continue; }
    const e = el.querySelector('.field-error');
    e.textContent = f.message;
    if (f.code) e.dataset.code = f.code;
    e.hidden = false;
    const c = el.querySelector('input, select, textarea');
    if (c) { c.setAttribute('aria-invalid', 'true'); first = first || c; }
  }
  if (first) first.focus();
  return rest;
}

// pageAlert shows an error under the page's heading until the next page.
export function pageAlert(err) {
  const main = document.getElementById('main');
  let box = main.querySelector('#page-alert');
  if (!box) {
    box = h('div', { id: 'page-alert' });
    const title = main.querySelector('h1');
    if (title) title.after(box); else main.prepend(box);
  }
  clear(box, alertBox(err));
  box.scrollIntoView({ block: 'nearest' });
}
