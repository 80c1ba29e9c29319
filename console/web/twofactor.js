// Two-factor sign-in (TOTP): the code step of a password sign-in, and the
// page where a signed-in user sees whether it is on and turns it on.
import { call } from './api.js';
import { h, clear, field, running, alertBox, showFieldErrors, toast, uid } from './ui.js';
import { me, drawer, go, loadSession, safeNext } from './app.js';

const sixDigits = /^[0-9]{6}$/;
const totpHint = 'The 6 digits your authenticator app shows now.';

// codeInput is the input of a code of the authenticator app.
function codeInput() {
  return h('input', { type: 'text', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', spellcheck: 'false' });
}

// enteredCode reads a code as typed ("123 456" is 123456), or shows why
// it cannot be one on the form's code field and returns ''. A TOTP code
// that is not six digits is refused here: sent, it would count towards
// the sign-in lockout.
function enteredCode(form, input, backup) {
  const code = input.value.replace(/\s+/g, '');
  let problem = '';
  if (!code) problem = backup ? 'Enter one of your backup codes.' : 'Enter the code your authenticator app shows.';
  else if (!backup && !sixDigits.test(code)) problem = 'The code is 6 digits.';
  showFieldErrors(form, problem ? [{ field: 'code', message: problem }] : []);
  return problem ? '' : code;
}

// secondFactorForm is the step after the password of a user with
// two-factor on (the sign-in answered twoFactorRedirect and set a pending
// cookie): a code of their authenticator app (verify-totp) or, on request,
// one of their backup codes (verify-backup-code). A wrong code shows the
// API's error and can be tried again; onSignedIn runs once the session is
// started. onRestart(notice) goes back to the password, with notice (an
// error-like {message, code}) when the pending sign-in is gone (it lasts
// 10 minutes), or null when the user asked to start over.
export function secondFactorForm({ email, onSignedIn, onRestart }) {
  let backup = false;
  const form = h('form', { class: 'second-factor', novalidate: true });
  const msg = h('div', { 'aria-live': 'assertive' });
  let input = null;
  // kept across the switches between the app and a backup code
  const trust = h('input', { type: 'checkbox', name: 'trustDevice', id: uid('f') });
  const trustHint = uid('hint');
  trust.setAttribute('aria-describedby', trustHint);
  const draw = () => {
    input = backup
      ? h('input', { type: 'text', name: 'code', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' })
      : codeInput();
    const submit = h('button', { type: 'submit' }, 'Verify');
    const other = h('button', { type: 'button', class: 'secondary', id: 'other-factor' },
      backup ? 'Use the authenticator app instead' : 'Use a backup code instead');
    other.addEventListener('click', () => {
      backup = !backup;
      clear(msg);
      draw();
    });
    const restart = h('button', { type: 'button', class: 'secondary', id: 'start-over' }, 'Start over');
    restart.addEventListener('click', () => onRestart(null));
    form.dataset.factor = backup ? 'backup-code' : 'totp';
    clear(form,
      h('p', null, 'Two-factor sign-in is on for ', h('strong', { text: email }), backup
        ? '. Enter one of the backup codes you saved when you turned it on; each works once.'
        : '. Enter the code of your authenticator app.'),
      field(backup ? 'Backup code' : 'Authentication code', input,
        { required: true, hint: backup ? 'Such as k3j9x-q0p2m.' : totpHint }),
      h('div', { class: 'field check' },
        h('label', { for: trust.id }, trust, ' Trust this browser for 30 days'),
        h('p', { class: 'hint', id: trustHint, text: 'Its next sign-ins ask for the password only, until you change it. Not on a shared computer.' })),
      msg,
      h('div', { class: 'buttons' }, submit, other, restart));
    input.focus();
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const submit = form.querySelector('button[type=submit]');
    const code = enteredCode(form, input, backup);
    if (!code) return;
    running(submit, async () => {
      clear(msg);
      const path = backup ? '/auth/two-factor/verify-backup-code' : '/auth/two-factor/verify-totp';
      try {
        await call('POST', path, { body: trust.checked ? { code, trustDevice: true } : { code }, quiet401: true });
      } catch (err) {
        if (err.code === 'INVALID_TWO_FACTOR_COOKIE') {
          onRestart(Object.assign(err, { message: 'The sign-in waited too long for its code. Sign in with your password again.' }));
          return;
        }
        // a wrong code, a locked account, a spent rate limit: the API says
        // which, and when to try again
        input.value = '';
        clear(msg, alertBox(err));
        input.focus();
        return;
      }
      try {
        await onSignedIn();
      } catch (err) {
        clear(msg, alertBox(err));
      }
    });
  });
  draw();
  return form;
}

// twoFactorPage shows whether two-factor sign-in is on for the signed-in
// user and, while it is off, turns it on: their password gives a new
// secret and backup codes (enable), and a code of the secret from their
// app turns it on (verify-totp with the session). It is where an
// administrator is sent when the deployment requires two-factor of them
// (TWO_FACTOR_REQUIRED); query's next is where to go once it is on.
export async function twoFactorPage(query) {
  const { page } = drawer();
  const user = await loadSession();
  if (user && user.twoFactorEnabled) {
    page('Two-factor sign-in',
      h('p', { class: 'lead', id: 'two-factor-on' },
        'Two-factor sign-in is on for your account: every sign-in with your password asks for a code of your ',
        'authenticator app, or one of your backup codes.'));
    return;
  }
  const required = me.mustTurnOnTwoFactor ? h('p', { class: 'warning', role: 'alert', id: 'two-factor-required' },
    h('strong', null, 'Administrators must turn on two-factor sign-in here.'),
    ' Until you do, the API refuses your session everywhere else (TWO_FACTOR_REQUIRED).') : null;
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password' });
  const start = h('button', { type: 'submit' }, 'Set up two-factor sign-in');
  const msg = h('div', { 'aria-live': 'assertive' });
  const form = h('form', { class: 'card narrow', novalidate: true, id: 'two-factor-enable' },
    field('Your password', password, { required: true, hint: 'To show it is you.' }),
    msg,
    h('div', { class: 'buttons' }, start));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    running(start, async () => {
      clear(msg);
      try {
        const res = await call('POST', '/auth/two-factor/enable', { body: { password: password.value } });
        password.value = '';
        const step = confirmStep(res, safeNext(query.get('next')));
        form.replaceWith(step);
        step.querySelector('input[name=code]').focus();
      } catch (err) {
        clear(msg, alertBox(err));
        password.focus();
      }
    });
  });
  page('Two-factor sign-in', required,
    h('p', { class: 'lead' }, 'Two-factor sign-in asks for a code of an authenticator app on your phone after your ',
      'password, so that a password alone signs nobody in.'),
    form);
  password.focus();
}

// confirmStep shows the new secret and backup codes of enable, and turns
// two-factor on with a code of the secret.
function confirmStep(res, next) {
  let secret = '';
  try { secret = new URL(res.totpURI).searchParams.get('secret') || ''; } catch (e) { /* the link still works */ }
  const input = codeInput();
  const submit = h('button', { type: 'submit' }, 'Turn on two-factor sign-in');
  const msg = h('div', { 'aria-live': 'assertive' });
  const form = h('form', { novalidate: true, id: 'two-factor-confirm' },
    field('Authentication code', input, { required: true, hint: totpHint }),
    msg,
    h('div', { class: 'buttons' }, submit));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const code = enteredCode(form, input, false);
    if (!code) return;
    running(submit, async () => {
      clear(msg);
      try {
        // quiet: a wrong code is a 401, which is no ended session
        await call('POST', '/auth/two-factor/verify-totp', { body: { code }, quiet401: true });
      } catch (err) {
        input.value = '';
        clear(msg, alertBox(err.code === 'INVALID_TWO_FACTOR_COOKIE'
          ? Object.assign(err, { message: 'Your session has ended. Sign in again, then set up two-factor sign-in again.' })
          : err));
        input.focus();
        return;
      }
      me.mustTurnOnTwoFactor = false;
      toast('Two-factor sign-in is on.');
      go(next || 'two-factor', null, { replace: true });
    });
  });
  const card = h('div', { class: 'card', id: 'two-factor-setup' },
    h('h2', { text: '1. Add your account to your authenticator app' }),
    h('p', null, 'Add an account with this setup key (time-based, 6 digits, every 30 seconds), or open the link ',
      'on the device that has the app.'),
    h('div', { class: 'secret-row' }, h('code', { class: 'secret', id: 'totp-secret', tabindex: '0', text: secret })),
    h('p', null, h('a', { href: res.totpURI, id: 'totp-uri' }, 'Open in an authenticator app')),
    h('h2', { text: '2. Keep your backup codes' }),
    h('p', { class: 'warning' }, h('strong', null, 'Save these codes now: you will not see them again.'),
      ' Each one signs you in once, in place of a code of the app, if you lose it.'),
    h('ul', { class: 'backup-codes', id: 'backup-codes' }, (res.backupCodes || []).map((c) => h('li', null, h('code', { text: c })))),
    h('h2', { text: '3. Turn it on with a code of the app' }),
    form);
  return card;
}
