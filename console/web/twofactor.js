// Two-factor sign-in (TOTP): the code step of a password sign-in.
import { call } from './api.js';
import { h, clear, field, running, alertBox, showFieldErrors } from './ui.js';

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
        await call('POST', path, { body: { code }, quiet401: true });
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
