import { describe, expect, it } from 'vitest';
import { emailChangedNotice, emailVerificationMail, escapeHtml, html, passwordResetMail } from './mail-templates.js';

const HOSTILE = '<script>alert("x")</script> & \'Bob\'';

describe('mail templates', () => {
  it('the html tag escapes interpolated values but not nested SafeHtml', () => {
    expect(html`<p>${HOSTILE}</p>`.html).toBe(`<p>${escapeHtml(HOSTILE)}</p>`);
    expect(html`<div>${html`<b>${'<i>'}</b>`}</div>`.html).toBe('<div><b>&lt;i&gt;</b></div>');
  });

  it('a hostile name cannot inject markup into the HTML body, nor extra lines into the text body', () => {
    const sut = passwordResetMail({ name: `${HOSTILE}\nVisit evil.example`, link: 'https://app.test/reset-password?token=abc', ttlSeconds: 1800 });
    expect(sut.html).not.toContain('<script>');
    expect(sut.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Bob&#39;');
    expect(sut.text.split('\n')[0]).toBe(`Hello ${HOSTILE} Visit evil.example,`);
  });

  it('puts the link in both bodies and says how long it works', () => {
    const link = 'https://app.test/verify-email?token=abc&x=1';
    const sut = emailVerificationMail({ name: null, link, ttlSeconds: 86_400, change: false });
    expect(sut.text).toContain(link);
    expect(sut.text).toContain('24 hours');
    expect(sut.html).toContain('href="https://app.test/verify-email?token=abc&amp;x=1"');
    expect(passwordResetMail({ name: 'Ada', link, ttlSeconds: 1800 }).text).toContain('30 minutes');
  });

  it('the notice to the old address carries no link at all', () => {
    const sut = emailChangedNotice({ name: 'Ada', newEmail: 'new@example.test' });
    expect(sut.text).toContain('new@example.test');
    expect(sut.text).not.toMatch(/https?:/);
    expect(sut.html).not.toMatch(/href=|https?:/);
  });
});
