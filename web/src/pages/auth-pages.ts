import { AuthError } from '../../../client/src/gatehouse-client.js';
import { UI_ROUTES } from '../../../src/ui/ui-routes.js';
import type { Page } from '../context.js';
import { fill, h } from '../dom.js';
import { form, say, type Values } from '../forms.js';
import { errorMessage } from '../messages.js';

const PASSWORD_HINT = '8 to 256 characters.';
const samePasswords = (values: Values) =>
  values.newPassword === values.confirmPassword ? undefined : { confirmPassword: 'The two passwords differ.' };

export const signInPage: Page = (view, { client, has }) => {
  fill(
    view,
    h('h1', { tabindex: -1 }, 'Sign in'),
    form({
      label: 'Sign in',
      fields: [
        { name: 'email', label: 'Email', type: 'email', autocomplete: 'username', required: true },
        { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true },
      ],
      submit: 'Sign in',
      // On success the app's onChange handler moves on to where the user was going.
      onSubmit: async ({ email, password }) => void (await client.login({ email, password })),
    }),
    h(
      'p',
      { class: 'links' },
      h('a', { href: UI_ROUTES.register }, 'Create an account'),
      has('passwordReset') && h('a', { href: UI_ROUTES.forgotPassword }, 'Forgot your password?'),
    ),
  );
};

export const registerPage: Page = (view, { client, navigate, notice }) => {
  fill(
    view,
    h('h1', { tabindex: -1 }, 'Create an account'),
    form({
      label: 'Create an account',
      fields: [
        { name: 'name', label: 'Name (optional)', autocomplete: 'name', required: false, maxlength: 200 },
        { name: 'email', label: 'Email', type: 'email', autocomplete: 'email', required: true },
        { name: 'newPassword', label: 'Password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 256, hint: PASSWORD_HINT },
        { name: 'confirmPassword', label: 'Password again', type: 'password', autocomplete: 'new-password', required: true },
      ],
      submit: 'Create account',
      check: samePasswords,
      onSubmit: async ({ name, email, newPassword }) => {
        await client.register({ email, password: newPassword, ...(name.trim() ? { name: name.trim() } : {}) });
        try {
          await client.login({ email, password: newPassword });
        } catch (error) {
          if (!(error instanceof AuthError) || error.code !== 'email_not_verified') throw error;
          notice('Your account is created. Follow the link we mailed you to verify your email, then sign in.');
          navigate(UI_ROUTES.signIn);
        }
      },
    }),
    h('p', { class: 'links' }, 'Have an account? ', h('a', { href: UI_ROUTES.signIn }, 'Sign in')),
  );
};

export const forgotPasswordPage: Page = (view, { api }) => {
  fill(
    view,
    h('h1', { tabindex: -1 }, 'Forgot your password?'),
    h('p', {}, 'Enter the email of your account and we will mail you a link to choose a new password.'),
    form({
      label: 'Request a password reset',
      fields: [{ name: 'email', label: 'Email', type: 'email', autocomplete: 'email', required: true }],
      submit: 'Send reset link',
      onSubmit: async ({ email }) => {
        await api('/auth/password/forgot', { method: 'POST', body: { email } });
        // The server answers the same whether or not the account exists; so does this page.
        return 'If an account exists for that email, a reset link is on its way. It is valid for a limited time.';
      },
    }),
    h('p', { class: 'links' }, h('a', { href: UI_ROUTES.signIn }, 'Back to sign in')),
  );
};

/** Reads the token from ?token=… once and drops it from the address bar and history. */
function takeToken(query: URLSearchParams): string | null {
  const token = query.get('token');
  if (token) history.replaceState(null, '', location.pathname);
  return token;
}

export const resetPasswordPage: Page = (view, { api, query, navigate, notice }) => {
  const token = takeToken(query);
  fill(view, h('h1', { tabindex: -1 }, 'Choose a new password'));
  if (!token) {
    view.append(h('p', { class: 'outcome error', role: 'alert' }, 'This page needs the link from your reset mail. ', h('a', { href: UI_ROUTES.forgotPassword }, 'Request a new link')));
    return;
  }
  view.append(
    form({
      label: 'Choose a new password',
      fields: [
        { name: 'newPassword', label: 'New password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 256, hint: PASSWORD_HINT },
        { name: 'confirmPassword', label: 'New password again', type: 'password', autocomplete: 'new-password', required: true },
      ],
      submit: 'Set new password',
      check: samePasswords,
      onSubmit: async ({ newPassword }) => {
        await api('/auth/password/reset', { method: 'POST', body: { token, newPassword } });
        notice('Your password is changed and every session was signed out. Sign in with the new password.');
        navigate(UI_ROUTES.signIn);
      },
    }),
    h('p', { class: 'links' }, h('a', { href: UI_ROUTES.forgotPassword }, 'Request a new link')),
  );
};

export const verifyEmailPage: Page = (view, { api, query, client }) => {
  const token = takeToken(query);
  const outcome = h('p', { class: 'outcome', 'aria-live': 'polite' });
  fill(view, h('h1', { tabindex: -1 }, 'Verify your email'));
  if (!token) {
    view.append(h('p', { class: 'outcome error', role: 'alert' }, 'This page needs the link from your verification mail.'));
    return;
  }
  // A button, not an automatic call: mail scanners that open links must not verify for the user.
  const button = h('button', { type: 'button' }, 'Verify my email');
  button.addEventListener('click', () => {
    button.disabled = true;
    api('/auth/email/verify', { method: 'POST', body: { token } })
      .then(() => {
        button.remove();
        say(outcome, 'success', h('span', {}, 'Your email is verified. ', h('a', { href: client.user ? UI_ROUTES.account : UI_ROUTES.signIn }, client.user ? 'Back to your account' : 'Sign in')));
      })
      .catch((error: AuthError) => {
        button.disabled = false;
        say(outcome, 'error', errorMessage(error.code, error.retryAfter, error.message));
      });
  });
  view.append(h('p', {}, 'Confirm that this address is yours.'), button, outcome);
};
