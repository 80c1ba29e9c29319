// The console: routing in the browser, the frame (navigation, who is
// signed in) and the sign-in page. Pages live in their own modules.
import { call, consoleRoot, onBusy, whenSignedOut, whenSessionEnds, forget, ApiError, unwrap } from './api.js';
import { h, clear, describe, field, running, alertBox, dialog } from './ui.js';
import { keysPage } from './keys.js';
import { usersPage, userPage, newUserPage } from './users.js';
import { objectsPage, tablePage, recordPage, formPage } from './data.js';
import { secondFactorForm, twoFactorPage } from './twofactor.js';

const main = document.getElementById('main');

// The signed-in user ({user, session} from get-session), or null, and
// whether the API refused their session until they turn two-factor on.
export const me = { user: null, session: null, mustTurnOnTwoFactor: false };
export const isAdmin = () => Boolean(me.user && me.user.role === 'admin');

// href returns the address of a console page ("keys" → /api/v1/console/keys).
export function href(path, query) {
  let u = consoleRoot + String(path || '').replace(/^\//, '');
  if (query) {
    const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== ''));
    if (qs.toString()) u += '?' + qs;
  }
  return u;
}

// go navigates to a console page.
export function go(path, query, { replace } = {}) {
  const u = href(path, query);
  if (replace) history.replaceState(null, '', u); else history.pushState(null, '', u);
  render();
}

// link is an anchor to a console page that navigates without a reload.
export function link(path, text, attrs) {
  return h('a', { href: href(path), ...(attrs || {}) }, text);
}

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(consoleRoot)) return;
  e.preventDefault();
  history.pushState(null, '', url.pathname + url.search);
  render();
});
window.addEventListener('popstate', () => render());

const progress = document.getElementById('progress');
onBusy((busy) => {
  progress.hidden = !busy;
  main.setAttribute('aria-busy', busy ? 'true' : 'false');
});
whenSignedOut(() => {
  if (me.user) {
    me.user = null;
    go('signin', { next: currentPath() }, { replace: true });
  }
});

// A write that meets an ended session asks for the password in a dialog
// and is sent again: the page, and what was typed in it, stay.
whenSessionEnds(() => {
  if (!me.user) return Promise.resolve(false);
  const email = me.user.email;
  return dialog('Your session has ended', (close) => {
    const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', autofocus: true });
    const submit = h('button', { type: 'submit' }, 'Sign in and continue');
    const msg = h('div', { 'aria-live': 'assertive' });
    const form = h('form', { novalidate: true },
      h('p', null, 'Sign in again as ', h('strong', { text: email }), ' to finish what you were doing.'),
      field('Password', password, { required: true }),
      msg,
      h('div', { class: 'buttons' },
        h('button', { type: 'button', class: 'secondary', onclick: () => close(false) }, 'Cancel'),
        submit));
    const box = h('div', null, form);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      running(submit, async () => {
        clear(msg);
        try {
          const res = await call('POST', '/auth/sign-in/email', { body: { email, password: password.value }, quiet401: true });
          password.value = '';
          if (!(res && res.twoFactorRedirect)) {
            close(true);
            return;
          }
          const code = secondFactorForm({
            email,
            onSignedIn: () => close(true),
            onRestart: (notice) => {
              clear(box, form);
              clear(msg, notice ? alertBox(notice) : null);
              password.focus();
            },
          });
          clear(box, code);
          code.querySelector('input[name=code]').focus();
        } catch (err) {
          clear(msg, alertBox(err.status === 401 ? Object.assign(err, { message: 'The password is wrong.' }) : err));
        }
      });
    });
    return box;
  }).then(Boolean);
});

function currentPath() {
  return location.pathname.slice(consoleRoot.length) + location.search;
}

// renderSeq counts renders: a page whose requests end after the user went
// elsewhere must not draw over the newer page.
let renderSeq = 0;

// drawer returns page and problem bound to the render running now: call it
// first thing in a page function, before any await.
export function drawer() {
  const n = renderSeq;
  const current = () => n === renderSeq;
  return {
    page: (...args) => (current() ? page(...args) : null),
    problem: (err) => (current() ? problem(err) : null),
  };
}

// page renders a page: a heading that takes the focus, then the content.
export function page(title, ...content) {
  document.title = title + ' · ' + document.querySelector('.brand').textContent;
  const heading = h('h1', { id: 'page-title', tabindex: '-1', text: title });
  clear(main, heading, ...content);
  return heading;
}

// problem renders the friendly page for an error the API gave, or sends
// an administrator whose session is refused until they turn two-factor on
// to the page that does it.
export function problem(err) {
  if (err instanceof ApiError && err.reason === 'TWO_FACTOR_REQUIRED' && me.user &&
      !location.pathname.startsWith(href('two-factor'))) {
    me.mustTurnOnTwoFactor = true;
    go('two-factor', { next: currentPath() }, { replace: true });
    return;
  }
  const status = err instanceof ApiError ? err.status : 0;
  const titles = {
    401: 'Please sign in',
    403: 'You do not have access to this page',
    404: 'Not found',
  };
  const words = {
    401: 'Your session has ended. Sign in again to continue.',
    403: 'Your account is not allowed to see this. Ask an administrator if you need it.',
    404: 'There is nothing here, or you cannot see it.',
  };
  page(titles[status] || 'Something went wrong',
    h('p', { class: 'lead', text: words[status] || 'The request failed.' }),
    h('p', { class: 'muted' }, describe(err)),
    h('p', null, link('', 'Back to the start')));
  main.dataset.status = String(status || 'error');
}

// forbidden is the page for a console page the user may not open.
export function forbidden() {
  problem(new ApiError(403, { code: 'PERMISSION_DENIED', message: 'This page is for administrators.' }));
}

function frame() {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!me.user) {
    nav.hidden = true;
    who.hidden = true;
    return;
  }
  const here = location.pathname;
  const item = (path, text) => {
    const u = href(path);
    const current = here === u || here.startsWith(u + '/');
    return h('li', null, h('a', { href: u, 'aria-current': current ? 'page' : null }, text));
  };
  clear(nav, h('ul', null,
    item('data', 'Data'),
    item('keys', 'API keys'),
    isAdmin() ? item('users', 'Users') : null,
    item('two-factor', 'Two-factor')));
  nav.hidden = false;
  const signOut = h('button', { type: 'button', class: 'secondary small', id: 'sign-out' }, 'Sign out');
  signOut.addEventListener('click', () => running(signOut, async () => {
    try { await call('POST', '/auth/sign-out', { body: {} }); } catch (e) { /* signed out either way */ }
    signedOut();
  }));
  clear(who, h('span', { id: 'signed-in-as' }, 'Signed in as ',
    h('strong', { text: me.user.name || me.user.email }), ' ',
    h('span', { class: 'muted', text: '(' + me.user.email + (isAdmin() ? ', administrator' : '') + ')' })), signOut);
  who.hidden = false;
}

// signedOut forgets who was signed in, whose session has just ended (they
// signed out, or their password was set), and goes to the sign-in page;
// next is where to go once signed in again.
export function signedOut(next) {
  me.user = null;
  me.session = null;
  me.mustTurnOnTwoFactor = false;
  forget();
  go('signin', { next }, { replace: true });
}

// signInPage asks for the email and the password and, for a user with
// two-factor on, then for a code (secondFactorForm). again, when the code
// step sends the user back, fills in their email and says why (notice).
async function signInPage(next, oauthError, again) {
  const { page } = drawer();
  let config = null;
  try { config = await call('GET', '/auth/config', { quiet401: true }); } catch (e) { /* the form still works */ }
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, value: again && again.email });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const msg = h('div', { 'aria-live': 'assertive' },
    oauthError ? alertBox({ message: 'Signing in with the provider did not succeed.', code: oauthError }) : null,
    again && again.notice ? alertBox(again.notice) : null);
  const form = h('form', { class: 'card narrow', novalidate: true },
    field('Email', email, { required: true }),
    field('Password', password, { required: true }),
    msg,
    h('div', { class: 'buttons' }, submit));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    running(submit, async () => {
      clear(msg);
      const address = email.value.trim();
      try {
        const res = await call('POST', '/auth/sign-in/email', { body: { email: address, password: password.value }, quiet401: true });
        password.value = '';
        if (res && res.twoFactorRedirect) {
          const code = secondFactorForm({
            email: address,
            onSignedIn: () => signedIn(next),
            onRestart: (notice) => signInPage(next, null, { email: address, notice }),
          });
          code.classList.add('card', 'narrow');
          if (page('Two-factor sign-in', code)) code.querySelector('input[name=code]').focus();
          return;
        }
        await signedIn(next);
      } catch (err) {
        clear(msg, alertBox(err.status === 401 ? Object.assign(err, { message: 'The email or the password is wrong.' }) : err));
        password.focus();
      }
    });
  });
  const providers = ((config && config.socialProviders) || []).filter((p) => p.enabled !== false);
  const social = providers.length ? h('div', { class: 'card narrow' },
    h('h2', { text: 'Or continue with' }),
    h('div', { class: 'buttons' }, providers.map((p) => {
      const b = h('button', { type: 'button', class: 'secondary' }, p.name || p.id);
      b.addEventListener('click', () => running(b, async () => {
        try {
          const res = await call('POST', '/auth/sign-in/social', {
            body: { provider: p.id, callbackURL: href(safeNext(next) || ''), errorCallbackURL: href('signin', { next: safeNext(next) }) }, quiet401: true,
          });
          if (res && res.url) location.assign(res.url);
        } catch (err) {
          clear(msg, alertBox(err));
        }
      }));
      return b;
    }))) : null;
  page('Sign in', form, social);
  if (again && again.email) password.focus(); else email.focus();
}

// signedIn goes on from a sign-in that started a session: to next, or the
// start.
async function signedIn(next) {
  await loadSession();
  forget();
  me.mustTurnOnTwoFactor = false;
  go(safeNext(next) || '', null, { replace: true });
}

// safeNext keeps a post-sign-in destination inside the console.
export function safeNext(next) {
  if (!next || typeof next !== 'string') return '';
  if (next.startsWith('/') || next.includes('//') || next.includes('\\') || next.startsWith('signin')) return '';
  return next;
}

// loadSession reads who is signed in into me, and returns the user or null.
export async function loadSession() {
  const s = await call('GET', '/auth/get-session', { quiet401: true });
  me.user = s && s.user ? s.user : null;
  me.session = s && s.session ? s.session : null;
  return me.user;
}

// render draws the page for the current address.
export async function render() {
  const n = ++renderSeq;
  const path = location.pathname.startsWith(consoleRoot) ? location.pathname.slice(consoleRoot.length) : '';
  let parts;
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch (e) {
    parts = ['.'];
  }
  const query = new URLSearchParams(location.search);
  delete main.dataset.status;
  try {
    if (parts[0] === 'signin') {
      frame();
      return await signInPage(query.get('next'), query.get('error'));
    }
    if (!me.user) {
      try {
        await loadSession();
      } catch (err) {
        if (err.status !== 401) throw err;
      }
      if (!me.user) {
        frame();
        return go('signin', { next: currentPath() }, { replace: true });
      }
    }
    frame();
    // a dot segment would become another API path once in a URL
    if (parts.some((p) => p === '.' || p === '..' || p.includes('/'))) parts = ['.'];
    switch (parts[0]) {
      case undefined:
        return go('data', null, { replace: true });
      case 'keys':
        return await keysPage(query);
      case 'two-factor':
        return await twoFactorPage(query);
      case 'users':
        if (!isAdmin()) return forbidden();
        if (parts.length === 1) return await usersPage(query);
        if (parts.length === 2 && parts[1] === 'new') return await newUserPage();
        if (parts.length === 2) return await userPage(parts[1]);
        break;
      case 'data':
        if (parts.length === 1) return await objectsPage();
        if (parts.length === 2) return await tablePage(parts[1], query);
        if (parts.length === 3 && parts[2] === 'new') return await formPage(parts[1], null);
        if (parts.length === 3) return await recordPage(parts[1], parts[2]);
        if (parts.length === 4 && parts[3] === 'edit') return await formPage(parts[1], parts[2]);
        break;
    }
    problem(new ApiError(404, { code: 'NOT_FOUND', message: 'The console has no page at this address.' }));
  } catch (err) {
    if (n !== renderSeq || (err instanceof ApiError && err.status === 401)) return;
    problem(err instanceof ApiError ? err : new ApiError(500, { code: 'CONSOLE_ERROR', message: String(err && err.message || err) }));
  } finally {
    const t = document.getElementById('page-title');
    if (t && document.activeElement === document.body) t.focus({ preventScroll: true });
  }
}

export { unwrap };
render();
