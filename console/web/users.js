// Users, for administrators: search, creating one, permission sets,
// setting a password, bans and sessions.
import { call, unwrap } from './api.js';
import { h, clear, field, running, confirm, dialog, toast, when, alertBox, pageAlert, showFieldErrors, uid } from './ui.js';
import { drawer, go, link, me, signedOut } from './app.js';
import { pagedTable, parseSort, sortParam, toggled } from './table.js';

export async function usersPage(q) {
  const { page } = drawer();
  const sort = parseSort(q.get('sort'), { field: 'name', desc: false });
  const search = h('input', { type: 'search', name: 'search', value: q.get('search') || '' });
  const form = h('form', { class: 'filters', role: 'search', novalidate: true },
    field('Search by name or email', search),
    h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Search')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go('users', { search: search.value.trim(), sort: q.get('sort') });
  });
  const table = pagedTable({
    caption: 'Users',
    sort,
    onSort: (f) => go('users', { search: q.get('search'), sort: sortParam(toggled(sort, f)) }),
    empty: 'No user matches.',
    columns: [
      { label: 'Name', sort: 'name', render: (u) => link('users/' + encodeURIComponent(u.id), u.name || u.email) },
      { label: 'Email', sort: 'email', render: (u) => u.email },
      { label: 'Role', render: (u) => u.role || h('span', { class: 'muted', text: 'user' }) },
      { label: 'Permission sets', render: (u) => (u.permission_sets || []).join(', ') || h('span', { class: 'muted', text: 'none' }) },
      { label: 'State', render: (u) => h('span', { class: 'badge ' + (u.banned ? 'revoked' : 'active'), text: u.banned ? 'banned' : 'active' }) },
      { label: 'Last sign-in', sort: 'last_login_at', render: (u) => when(u.last_login_at) },
    ],
    load: (cursor) => call('GET', '/data/sys_user', { query: { search: q.get('search'), sort: sortParam(sort), limit: 25, cursor } }),
  });
  page('Users', h('div', { class: 'toolbar' }, link('users/new', 'New user', { class: 'button', id: 'new-user' })), form, table);
}

// permissionSets returns the permission sets the artifact declares.
async function permissionSets() {
  return unwrap(await call('GET', '/meta/permission')).items || [];
}

// passwordRules returns the lengths a password may have
// ({minPasswordLength, maxPasswordLength}), or null when the API did not
// say: the API checks them either way.
async function passwordRules() {
  try {
    const ep = ((await call('GET', '/auth/config', { quiet401: true })) || {}).emailPassword || {};
    return ep.minPasswordLength > 0 && ep.maxPasswordLength > 0 ? ep : null;
  } catch (err) {
    return null;
  }
}

function passwordHint(rules) {
  return rules ? rules.minPasswordLength + ' to ' + rules.maxPasswordLength + ' characters.' : undefined;
}

const tooShort = (rules) => 'The password needs at least ' + rules.minPasswordLength + ' characters.';
const tooLong = (rules) => 'The password may have at most ' + rules.maxPasswordLength + ' characters.';

// passwordProblem says what is wrong with a new password, or ''; the
// lengths count characters, as the API does.
function passwordProblem(password, rules) {
  if (!password) return 'Enter a password.';
  const n = [...password].length;
  if (rules && n < rules.minPasswordLength) return tooShort(rules);
  if (rules && n > rules.maxPasswordLength) return tooLong(rules);
  return '';
}

// setChoices is a checkbox for each permission set, checked for those in
// held: {el, chosen()}, chosen() giving the names checked.
function setChoices(sets, held, legend, { hideLegend } = {}) {
  const boxes = sets.map((s) => h('input', { type: 'checkbox', name: 'permission_sets', value: s.name, checked: held.has(s.name) }));
  const el = h('fieldset', null, h('legend', { class: hideLegend ? 'visually-hidden' : null, text: legend }),
    sets.length ? sets.map((s, i) => h('div', { class: 'field check' },
      h('label', null, boxes[i], ' ', s.label || s.name, ' ', h('code', { class: 'muted', text: s.name }),
        s.isDefault ? h('span', { class: 'muted', text: ' (everyone holds it)' }) : null))) :
      h('p', { class: 'muted', text: 'The artifact declares no permission sets.' }));
  return { el, chosen: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

// The API's refusals of create-user that are about one field: the field,
// and what to say there (the message of the API when null).
const createUserRefusals = {
  INVALID_EMAIL: ['email', () => 'This is not a valid email address.'],
  USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL: ['email', () => 'A user with this email already exists.'],
  PASSWORD_TOO_SHORT: ['password', (rules) => rules && tooShort(rules)],
  PASSWORD_TOO_LONG: ['password', (rules) => rules && tooLong(rules)],
  YOU_ARE_NOT_ALLOWED_TO_SET_NON_EXISTENT_VALUE: ['role', () => null],
};

// newUserPage creates a user with a password (admin/create-user): their
// name, email, whether they are an administrator and their permission
// sets; then it opens the new user's page.
export async function newUserPage() {
  const { page, problem } = drawer();
  let sets;
  let rules;
  try {
    [sets, rules] = await Promise.all([permissionSets(), passwordRules()]);
  } catch (err) {
    return problem(err);
  }
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'off', maxlength: 200 });
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'off', spellcheck: 'false' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password' });
  const admin = h('input', { type: 'checkbox', name: 'role', id: uid('f') });
  const adminHint = uid('hint');
  const adminErr = h('p', { class: 'field-error', id: admin.id + '-error', hidden: true });
  admin.setAttribute('aria-describedby', adminHint + ' ' + adminErr.id);
  const choices = setChoices(sets, new Set(), 'Permission sets');
  const submit = h('button', { type: 'submit' }, 'Create user');
  const msg = h('div', { 'aria-live': 'assertive' });
  const form = h('form', { class: 'card', id: 'new-user-form', novalidate: true },
    h('div', { class: 'row' },
      field('Name', name, { hint: 'Leave it empty to use the part of the email before the @.' }),
      field('Email', email, { required: true })),
    field('Password', password, { required: true, hint: [passwordHint(rules), 'They sign in with it; give it to them safely.'].filter(Boolean).join(' ') }),
    h('div', { class: 'field check', 'data-field': 'role' },
      h('label', { for: admin.id }, admin, ' Administrator'),
      h('p', { class: 'hint', id: adminHint, text: 'Administrators have every permission whatever their sets, and manage users here.' }),
      adminErr),
    choices.el,
    msg,
    h('div', { class: 'buttons' }, submit, link('users', 'Cancel', { class: 'button secondary' })));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clear(msg);
    const local = [];
    if (!email.value.trim()) local.push({ field: 'email', message: 'Enter their email address.' });
    const bad = passwordProblem(password.value, rules);
    if (bad) local.push({ field: 'password', message: bad });
    showFieldErrors(form, local);
    if (local.length) return;
    running(submit, async () => {
      const body = { email: email.value.trim(), password: password.value, role: admin.checked ? 'admin' : 'user' };
      if (name.value.trim()) body.name = name.value.trim();
      const chosen = choices.chosen();
      if (chosen.length) body.data = { permission_sets: chosen };
      let user;
      try {
        user = (await call('POST', '/auth/admin/create-user', { body })).user;
      } catch (err) {
        const refusal = createUserRefusals[err.code];
        showFieldErrors(form, refusal ? [{ field: refusal[0], code: err.code, message: refusal[1](rules) || err.message }] : []);
        clear(msg, alertBox(Object.assign(err, { message: 'The user was not created: ' + err.message })));
        return;
      }
      password.value = '';
      toast('User ' + (user.name || user.email) + ' created.');
      go('users/' + encodeURIComponent(user.id));
    });
  });
  page('New user',
    h('p', { class: 'muted' }, link('users', '← Users')),
    h('p', { class: 'lead', text: 'The user signs in with this email and password. Fields marked * are required.' }),
    form);
  name.focus();
}

export async function userPage(id) {
  const { page, problem } = drawer();
  let user;
  let sets;
  let rules;
  try {
    [user, sets, rules] = await Promise.all([
      call('GET', '/data/sys_user/' + encodeURIComponent(id)).then((a) => a.record),
      permissionSets(),
      passwordRules(),
    ]);
  } catch (err) {
    return problem(err);
  }
  const self = user.id === me.user.id;
  const setsHost = h('section', { class: 'card', 'aria-labelledby': 'sets-title' });
  const banHost = h('section', { class: 'card', 'aria-labelledby': 'ban-title' });
  const passwordHost = h('section', { class: 'card', 'aria-labelledby': 'password-title' });
  const sessionsHost = h('section', { class: 'card', 'aria-labelledby': 'sessions-title' });
  page(user.name || user.email,
    h('dl', { class: 'facts' },
      h('dt', null, 'Email'), h('dd', null, user.email, user.email_verified ? ' (verified)' : ''),
      h('dt', null, 'Role'), h('dd', null, user.role || 'user'),
      h('dt', null, 'Created'), h('dd', null, when(user.created_at)),
      h('dt', null, 'Last sign-in'), h('dd', null, when(user.last_login_at)),
      h('dt', null, 'API keys'), h('dd', null, link('keys?scope=all&user=' + encodeURIComponent(user.id), 'See their keys'))),
    setsHost, banHost, passwordHost, sessionsHost);
  setsCard(setsHost, user, sets);
  banCard(banHost, user, self);
  passwordCard(passwordHost, user, self, rules);
  sessionsCard(sessionsHost, user);
}

function setsCard(host, user, sets) {
  const choices = setChoices(sets, new Set(user.permission_sets || []), 'Permission sets held', { hideLegend: true });
  const submit = h('button', { type: 'submit' }, 'Save permission sets');
  const msg = h('div', { 'aria-live': 'polite' });
  const form = h('form', { novalidate: true },
    h('h2', { id: 'sets-title', text: 'Permission sets' }),
    user.role === 'admin' ? h('p', { class: 'muted', text: 'Administrators have every permission whatever their sets.' }) : null,
    choices.el,
    msg,
    h('div', { class: 'buttons' }, submit));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    running(submit, async () => {
      clear(msg);
      const chosen = choices.chosen();
      try {
        const res = await call('PATCH', '/data/sys_user/' + encodeURIComponent(user.id), { body: { permission_sets: chosen } });
        user.permission_sets = res.record.permission_sets;
        clear(msg, h('p', { class: 'ok', text: 'Saved.' }));
        toast('Permission sets of ' + (user.name || user.email) + ' saved.');
      } catch (err) {
        clear(msg, alertBox(err));
      }
    });
  });
  host.append(form);
}

function banCard(host, user, self) {
  const msg = h('div', { 'aria-live': 'polite' });
  const title = h('h2', { id: 'ban-title', text: 'Access' });
  if (user.banned) {
    const unban = h('button', { type: 'button' }, 'Unban');
    unban.addEventListener('click', () => running(unban, async () => {
      try {
        await call('POST', '/auth/admin/unban-user', { body: { userId: user.id } });
        toast((user.name || user.email) + ' is unbanned.');
        go('users/' + encodeURIComponent(user.id), null, { replace: true });
      } catch (err) {
        clear(msg, alertBox(err));
      }
    }));
    clear(host, title,
      h('p', null, h('span', { class: 'badge revoked', text: 'banned' }), ' ', user.ban_reason ? 'Reason: ' + user.ban_reason : 'No reason given',
        user.ban_expires ? [', until ', when(user.ban_expires)] : ', with no end', '.'),
      msg, h('div', { class: 'buttons' }, unban));
    return;
  }
  if (self) {
    clear(host, title, h('p', { class: 'muted', text: 'This is you: you cannot ban yourself.' }));
    return;
  }
  const reason = h('input', { type: 'text', name: 'banReason', maxlength: 200 });
  const until = h('input', { type: 'date', name: 'banExpires', min: new Date(Date.now() + 864e5).toISOString().slice(0, 10) });
  const ban = h('button', { type: 'submit', class: 'danger' }, 'Ban user');
  const form = h('form', { novalidate: true },
    title,
    h('p', { text: 'A banned user cannot sign in, and their sessions and API keys stop working at once.' }),
    h('div', { class: 'row' }, field('Reason', reason), field('Until (optional)', until)),
    msg, h('div', { class: 'buttons' }, ban));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const yes = await confirm('Ban ' + (user.name || user.email) + '?',
      'They are signed out everywhere and their API keys stop working until you unban them.', 'Ban user');
    if (!yes) return;
    await running(ban, async () => {
      const body = { userId: user.id };
      if (reason.value.trim()) body.banReason = reason.value.trim();
      if (until.value) body.banExpiresIn = Math.max(1, Math.round((new Date(until.value + 'T23:59:59').getTime() - Date.now()) / 1000));
      try {
        await call('POST', '/auth/admin/ban-user', { body });
        toast((user.name || user.email) + ' is banned.');
        go('users/' + encodeURIComponent(user.id), null, { replace: true });
      } catch (err) {
        clear(msg, alertBox(err));
      }
    });
  });
  clear(host, form);
}

// passwordCard sets the user's password (admin/set-user-password), which
// signs them out everywhere; setting one's own signs this browser out too.
function passwordCard(host, user, self, rules) {
  const who = user.name || user.email;
  const msg = h('div', { 'aria-live': 'polite' });
  const set = h('button', { type: 'button', id: 'set-password' }, 'Set password');
  set.addEventListener('click', async () => {
    const password = await passwordDialog(who, self, rules);
    if (!password) { set.focus(); return; }
    await running(set, async () => {
      clear(msg);
      try {
        await call('POST', '/auth/admin/set-user-password', { body: { userId: user.id, newPassword: password } });
      } catch (err) {
        clear(msg, alertBox(Object.assign(err, { message: 'The password was not set: ' + err.message })));
        return;
      }
      if (self) {
        toast('Your password is set. Sign in with it.');
        signedOut('users/' + encodeURIComponent(user.id));
        return;
      }
      toast('The password of ' + who + ' is set, and they are signed out everywhere.');
      go('users/' + encodeURIComponent(user.id), null, { replace: true });
    });
  });
  clear(host, h('h2', { id: 'password-title', text: 'Password' }),
    h('p', { text: self
      ? 'Set a new password for yourself. It signs you out everywhere, this browser too.'
      : 'Set a new password for ' + who + ', such as when they have lost theirs. It signs them out everywhere; their API keys keep working.' }),
    msg, h('div', { class: 'buttons' }, set));
}

// passwordDialog asks for a new password twice, and resolves with it
// (undefined when cancelled). The request is sent once the dialog is
// closed, so that a session that ended meanwhile can be signed in again in
// the dialog.
function passwordDialog(who, self, rules) {
  return dialog(self ? 'Set your password' : 'Set the password of ' + who, (close) => {
    const password = h('input', { type: 'password', name: 'newPassword', autocomplete: 'new-password' });
    const again = h('input', { type: 'password', name: 'confirmPassword', autocomplete: 'new-password' });
    const form = h('form', { novalidate: true, id: 'set-password-form' },
      h('p', { class: 'warning', id: 'set-password-note' },
        h('strong', { text: self ? 'This signs you out everywhere, this browser too.' : 'This signs ' + who + ' out everywhere.' }),
        self ? ' You sign in again with the new password.'
          : ' Every browser and bearer token of theirs stops working at once; they sign in again with the new password. Their API keys keep working.'),
      field('New password', password, { required: true, hint: passwordHint(rules) }),
      field('Confirm the new password', again, { required: true }),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', class: 'secondary', onclick: () => close(undefined) }, 'Cancel'),
        h('button', { type: 'submit', class: 'danger' }, 'Set password')));
    password.setAttribute('aria-describedby', 'set-password-note ' + password.getAttribute('aria-describedby'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const errs = [];
      const bad = passwordProblem(password.value, rules);
      if (bad) errs.push({ field: 'newPassword', message: bad });
      else if (again.value !== password.value) errs.push({ field: 'confirmPassword', message: 'The two passwords differ.' });
      showFieldErrors(form, errs);
      if (!errs.length) close(password.value);
    });
    return form;
  });
}

async function sessionsCard(host, user) {
  const title = h('h2', { id: 'sessions-title', text: 'Sessions' });
  const body = h('div', null, h('p', { class: 'muted', text: 'Loading sessions…' }));
  clear(host, title, body);
  let sessions;
  try {
    sessions = (await call('POST', '/auth/admin/list-user-sessions', { body: { userId: user.id } })).sessions || [];
  } catch (err) {
    clear(body, alertBox(err));
    return;
  }
  const reload = () => sessionsCard(host, user);
  if (!sessions.length) {
    clear(body, h('p', { class: 'empty', text: 'No live session.' }));
    return;
  }
  const all = h('button', { type: 'button', class: 'danger small' }, 'Revoke all sessions');
  all.addEventListener('click', async () => {
    if (!await confirm('Revoke every session?', 'Every browser and bearer token of this user is signed out.', 'Revoke all')) return;
    await running(all, async () => {
      try {
        await call('POST', '/auth/admin/revoke-user-sessions', { body: { userId: user.id } });
        toast('All sessions revoked.');
      } catch (err) {
        pageAlert(Object.assign(err, { message: 'Could not revoke the sessions: ' + err.message }));
      }
      reload();
    });
  });
  clear(body, h('div', { class: 'table-wrap' }, h('table', null,
    h('caption', { class: 'visually-hidden', text: 'Sessions' }),
    h('thead', null, h('tr', null, ['Started', 'Expires', 'Address', 'Browser', 'Actions'].map((t) => h('th', { scope: 'col', text: t })))),
    h('tbody', null, sessions.map((s) => {
      const b = h('button', { type: 'button', class: 'danger small', 'aria-label': 'Revoke the session started ' + s.createdAt }, 'Revoke');
      b.addEventListener('click', async () => {
        if (!await confirm('Revoke this session?', 'That browser or token is signed out at once.', 'Revoke')) return;
        await running(b, async () => {
          try {
            await call('POST', '/auth/admin/revoke-user-session', { body: { sessionToken: s.id } });
            toast('Session revoked.');
          } catch (err) {
            pageAlert(Object.assign(err, { message: 'Could not revoke the session: ' + err.message }));
          }
          reload();
        });
      });
      const yours = me.session && me.session.id === s.id;
      return h('tr', { 'data-id': s.id },
        h('td', { 'data-label': 'Started' }, when(s.createdAt), yours ? [' ', h('span', { class: 'badge active', text: 'this browser' })] : null), h('td', { 'data-label': 'Expires' }, when(s.expiresAt)),
        h('td', { 'data-label': 'Address', text: s.ipAddress || '—' }), h('td', { 'data-label': 'Browser', class: 'ua', text: s.userAgent || '—' }),
        h('td', { class: 'actions' }, b));
    })))), h('div', { class: 'buttons' }, all));
}
