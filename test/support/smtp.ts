import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  /** Envelope recipients (RCPT TO). */
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  kind: string;
  /** The token of the first Gatehouse link in the text body, if any. */
  token?: string;
  link?: string;
}

export interface SmtpOptions {
  port?: number;
  /** TLS from the first byte (smtps://), with smtp-server's built-in self-signed certificate. */
  secure?: boolean;
  /** Require AUTH with these credentials. */
  auth?: { user: string; pass: string };
  /** Answer RCPT TO for these addresses with a permanent 550. */
  rejectRecipients?: (address: string) => boolean;
  /** Wait this long before accepting each message (a slow relay). */
  acceptDelayMs?: number;
}

/**
 * A real SMTP server for the tests (smtp-server on 127.0.0.1), every accepted message parsed
 * with mailparser. The app under test talks SMTP to it exactly as it would to a relay.
 */
export class TestSmtpServer {
  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
    private readonly options: SmtpOptions,
    readonly mails: ReceivedMail[],
    readonly authAttempts: Array<{ user: string; ok: boolean }>,
  ) {}

  static async start(options: SmtpOptions = {}): Promise<TestSmtpServer> {
    const received: ReceivedMail[] = [];
    const authAttempts: TestSmtpServer['authAttempts'] = [];
    const config: SMTPServerOptions = {
      secure: options.secure ?? false,
      // Plain smtp:// in tests: no STARTTLS offer (its certificate is self-signed).
      hideSTARTTLS: !options.secure,
      authOptional: !options.auth,
      disabledCommands: options.auth ? [] : ['AUTH'],
      logger: false,
      onAuth(auth, _session, callback) {
        const ok = auth.username === options.auth?.user && auth.password === options.auth?.pass;
        authAttempts.push({ user: auth.username ?? '', ok });
        callback(ok ? null : new Error('Invalid username or password'), ok ? { user: auth.username } : undefined);
      },
      onRcptTo(address, _session, callback) {
        if (options.rejectRecipients?.(address.address)) {
          const error = new Error('5.1.1 No such user here') as Error & { responseCode: number };
          error.responseCode = 550;
          callback(error);
          return;
        }
        callback();
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then(async (parsed) => {
            if (options.acceptDelayMs) await new Promise((resolve) => setTimeout(resolve, options.acceptDelayMs));
            const text = parsed.text ?? '';
            const link = /(https?:\/\/\S+token=([A-Za-z0-9_-]+))/.exec(text);
            const kind = parsed.headers.get('x-gatehouse-mail');
            received.push({
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              from: parsed.from?.text ?? '',
              subject: parsed.subject ?? '',
              text,
              html: typeof parsed.html === 'string' ? parsed.html : '',
              messageId: parsed.messageId ?? '',
              kind: typeof kind === 'string' ? kind : '',
              link: link?.[1],
              token: link?.[2],
            });
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    };
    const server = new SMTPServer(config);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const port = (server.server.address() as AddressInfo).port;
    return new TestSmtpServer(server, port, options, received, authAttempts);
  }

  /** A port where nothing listens (yet): start a server there later to end an "outage". */
  static async freePort(): Promise<number> {
    const probe = await TestSmtpServer.start();
    await probe.close();
    return probe.port;
  }

  /** SMTP_URL for the app under test. The self-signed certificate is accepted only here. */
  get url(): string {
    const credentials = this.options.auth ? `${encodeURIComponent(this.options.auth.user)}:${encodeURIComponent(this.options.auth.pass)}@` : '';
    return this.options.secure
      ? `smtps://${credentials}127.0.0.1:${this.port}?tls.rejectUnauthorized=false`
      : `smtp://${credentials}127.0.0.1:${this.port}`;
  }

  /** Mails to `address`, optionally only of one Gatehouse kind (the X-Gatehouse-Mail header). */
  mailsTo(address: string, kind?: string): ReceivedMail[] {
    return this.mails.filter((mail) => mail.to.includes(address) && (kind === undefined || mail.kind === kind));
  }

  /** Resolves with the mails to `address` (of `kind`) once there are at least `count` of them. */
  async waitForMail(address: string, count = 1, kind?: string, timeoutMs = 10_000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.mailsTo(address, kind).length < count) {
      if (Date.now() > deadline) throw new Error(`no ${kind ?? ''} mail to ${address} within ${timeoutMs} ms (got ${this.mails.length} in all)`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.mailsTo(address, kind);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
