import { Logger } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import type { AppConfig } from '../config/app-config.js';

export interface OutgoingMail {
  id: string;
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Where the worker hands a claimed mail. `send` resolves once the mail is accepted. */
export interface MailTransport {
  readonly name: 'smtp' | 'log';
  /** For the boot log: never credentials. */
  readonly description: string;
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * SMTP through nodemailer. `smtp://` upgrades with STARTTLS when the server offers it
 * (`?requireTLS=true` insists), `smtps://` is TLS from the first byte; nodemailer reads further
 * options from the URL's query (e.g. `tls.servername`). Every wait is bounded, so a hung server
 * costs a retry, never a stuck worker.
 */
export class SmtpMailTransport implements MailTransport {
  readonly name = 'smtp' as const;
  readonly description: string;
  private readonly transporter: Transporter;
  private readonly from: string;
  private readonly messageIdDomain: string;

  constructor(url: string, from: string, timeoutMs: number) {
    const parsed = new URL(url);
    const secure = parsed.protocol === 'smtps:';
    this.description = `SMTP at ${parsed.hostname}:${parsed.port || (secure ? 465 : 587)} (${secure ? 'TLS' : 'STARTTLS when offered'})`;
    this.transporter = nodemailer.createTransport({
      url,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      dnsTimeout: timeoutMs,
      // Mail content is ours alone; never let a value turn into a file or URL fetch.
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
    });
    this.from = from;
    this.messageIdDomain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'gatehouse';
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transporter.sendMail({
      from: this.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      // Stable across retries: a receiver that sees the same mail twice can tell.
      messageId: `<${mail.id}@${this.messageIdDomain}>`,
      headers: { 'X-Gatehouse-Mail': mail.kind },
    });
  }

  close(): void {
    this.transporter.close();
  }
}

/**
 * No SMTP_URL (API.md): mails are written to the log. Outside production with their bodies (and
 * so their links, for local development); in production only that a mail could not be sent.
 */
export class LogMailTransport implements MailTransport {
  readonly name = 'log' as const;
  readonly description: string;
  private readonly logger = new Logger('Mail');

  constructor(private readonly production: boolean) {
    this.description = production ? 'none (no SMTP_URL: mails are not sent)' : 'the log (no SMTP_URL)';
  }

  async send(mail: OutgoingMail): Promise<void> {
    if (this.production) {
      this.logger.warn(`no SMTP_URL: ${mail.kind} mail ${mail.id} to ${maskAddress(mail.to)} was not sent`);
      return;
    }
    this.logger.log(`${mail.kind} mail ${mail.id} to ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}`);
  }

  close(): void {}
}

export function createMailTransport(config: AppConfig): MailTransport {
  const url = config.get('SMTP_URL');
  return url
    ? new SmtpMailTransport(url, config.get('MAIL_FROM'), config.get('MAIL_SEND_TIMEOUT_MS'))
    : new LogMailTransport(config.isProduction);
}

/** `ada@example.com` → `a***@example.com`, for production logs. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return at <= 0 ? '***' : `${address[0]}***${address.slice(at)}`;
}
