/**
 * The mails Gatehouse sends, as plain text and HTML. HTML is built with the `html` tag, which
 * escapes every interpolated value unless it is already SafeHtml, so a user-supplied name can
 * never inject markup; in plain text, control characters of user values become spaces.
 */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export interface SafeHtml {
  readonly html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}

export function html(strings: TemplateStringsArray, ...values: Array<string | number | SafeHtml>): SafeHtml {
  let out = strings[0];
  values.forEach((value, index) => {
    out += (typeof value === 'object' ? value.html : escapeHtml(String(value))) + strings[index + 1];
  });
  return { html: out };
}

/** A user-supplied value on one line of a plain-text mail. */
function plain(value: string): string {
  return value.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim();
}

function greeting(name: string | null): { text: string; html: SafeHtml } {
  const shown = name ? plain(name) : '';
  return shown ? { text: `Hello ${shown},`, html: html`<p>Hello ${shown},</p>` } : { text: 'Hello,', html: html`<p>Hello,</p>` };
}

function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head>
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1a1a1a; max-width: 36em; margin: 2em auto; padding: 0 1em">
${body}
<p style="color: #666; font-size: 0.9em">Gatehouse</p>
</body></html>`.html;
}

function button(link: string, label: string): SafeHtml {
  return html`<p><a href="${link}" style="display: inline-block; padding: 0.6em 1.2em; background: #1f4fd1; color: #fff; text-decoration: none; border-radius: 4px">${label}</a></p>
<p style="font-size: 0.9em">Or paste this link into your browser:<br><span style="word-break: break-all">${link}</span></p>`;
}

function minutes(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  const value = Math.max(1, Math.round(seconds / 60));
  return `${value} minute${value === 1 ? '' : 's'}`;
}

export function passwordResetMail(params: { name: string | null; link: string; ttlSeconds: number }): RenderedMail {
  const hello = greeting(params.name);
  const valid = minutes(params.ttlSeconds);
  const subject = 'Reset your Gatehouse password';
  return {
    subject,
    text: [
      hello.text,
      '',
      'Someone (hopefully you) asked to reset the password of your Gatehouse account.',
      `Open this link within ${valid} to choose a new password. It works once.`,
      '',
      params.link,
      '',
      'Resetting signs you out everywhere. If you did not ask for this, ignore this mail: your password stays as it is.',
    ].join('\n'),
    html: layout(
      subject,
      html`${hello.html}
<p>Someone (hopefully you) asked to reset the password of your Gatehouse account. Open this link within ${valid} to choose a new password. It works once.</p>
${button(params.link, 'Choose a new password')}
<p>Resetting signs you out everywhere. If you did not ask for this, ignore this mail: your password stays as it is.</p>`,
    ),
  };
}

export function emailVerificationMail(params: { name: string | null; link: string; ttlSeconds: number; change: boolean }): RenderedMail {
  const hello = greeting(params.name);
  const valid = minutes(params.ttlSeconds);
  const subject = params.change ? 'Confirm your new Gatehouse email address' : 'Verify your Gatehouse email address';
  const why = params.change
    ? 'You asked to use this address for your Gatehouse account. The change takes effect when you open this link.'
    : 'Please confirm that this address belongs to your Gatehouse account.';
  return {
    subject,
    text: [hello.text, '', why, `The link works once, within ${valid}.`, '', params.link, '', 'If this was not you, ignore this mail.'].join('\n'),
    html: layout(
      subject,
      html`${hello.html}
<p>${why} The link works once, within ${valid}.</p>
${button(params.link, params.change ? 'Confirm the new address' : 'Verify my address')}
<p>If this was not you, ignore this mail.</p>`,
    ),
  };
}

/** To the old address after an email change. Deliberately without any link (nothing to click that undoes or confirms anything). */
export function emailChangedNotice(params: { name: string | null; newEmail: string }): RenderedMail {
  const hello = greeting(params.name);
  const subject = 'Your Gatehouse email address was changed';
  const shown = plain(params.newEmail);
  return {
    subject,
    text: [
      hello.text,
      '',
      `The email address of your Gatehouse account was changed to ${shown}. Mail for the account now goes there, and other sessions were signed out.`,
      '',
      'If you did not make this change, contact your administrator at once.',
    ].join('\n'),
    html: layout(
      subject,
      html`${hello.html}
<p>The email address of your Gatehouse account was changed to <strong>${shown}</strong>. Mail for the account now goes there, and other sessions were signed out.</p>
<p>If you did not make this change, contact your administrator at once.</p>`,
    ),
  };
}
