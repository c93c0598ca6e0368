import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createTransport } from 'nodemailer';
import { encodeWords, foldLines } from 'nodemailer/lib/mime-funcs';
import MimeNode, { type MimeNodeEnvelope } from 'nodemailer/lib/mime-node';
import { encode, wrap } from 'nodemailer/lib/qp';
import { type MailSettings } from '../config';
import { type MailKind, type RenderedMail } from '../info/messages/mail';
import { type Logger, safeError } from '../logger';
import { randomBytes } from '../random';
import { Semaphore } from '../semaphore';

export interface OutgoingMail extends RenderedMail {
  kind: MailKind;
  to: string;
}

/** Waits between attempts: a mail is tried four times over about a minute and a quarter. */
export const RETRY_DELAYS_MS = [2_000, 10_000, 60_000] as const;
/** SMTP deliveries at once; the rest wait their turn in memory. */
const SENDS_AT_ONCE = 4;

/** A mail as it goes out: composed once, so that each attempt sends the same message. */
interface ComposedMail {
  kind: MailKind;
  raw: string;
  envelope: MimeNodeEnvelope;
  messageId: string;
}

type Deliver = (mail: ComposedMail) => Promise<void>;

/**
 * Sends mail in the background: `send` returns at once, so a slow or broken SMTP server never
 * delays or fails a GraphQL answer. Failed deliveries are logged (kind and error, never the body:
 * it holds a token) and tried again after each of `retryDelaysMs`.
 *
 * With SMTP_URL the mail goes to that server; without it each mail becomes an .eml file in
 * MAIL_OUTBOX (readable by its owner only: it holds a live token) and a log line names the file.
 */
export class Mailer {
  private readonly deliver: Deliver;
  private readonly turns = new Semaphore(SENDS_AT_ONCE);
  private readonly inFlight = new Set<Promise<void>>();
  private readonly waits = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private closed = false;
  private closeTransport: () => void = () => undefined;
  private readonly composer: MailComposer;

  constructor(
    private readonly settings: MailSettings,
    private readonly logger: Logger,
    private readonly retryDelaysMs: readonly number[] = RETRY_DELAYS_MS,
  ) {
    this.composer = new MailComposer(settings.from);
    this.deliver = settings.smtpUrl ? this.smtp(settings.smtpUrl) : this.outbox(settings.outbox);
  }

  /** Where mail goes, for the start-up log line (never the SMTP credentials). */
  get destination(): string {
    if (!this.settings.smtpUrl) return `outbox ${this.settings.outbox}`;
    const url = new URL(this.settings.smtpUrl);
    return `${url.protocol}//${url.host}`;
  }

  /** Queues the mail and returns at once. */
  send(mail: OutgoingMail): void {
    if (this.closed) {
      this.logger.warn({ kind: mail.kind }, 'mail dropped: the server is shutting down');
      return;
    }
    const task = this.attempts(mail).finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  /** Resolves once every queued mail was delivered or given up on. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  /**
   * Stops taking mail and waits up to `graceMs` for the mails queued: those waiting to retry get
   * their last try now, and what fails then is logged as given up.
   */
  async close(graceMs = 5_000): Promise<void> {
    this.closed = true;
    for (const wait of this.waits) {
      clearTimeout(wait.timer);
      wait.wake();
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.idle(),
      new Promise((done) => (timer = setTimeout(done, graceMs).unref())),
    ]);
    clearTimeout(timer);
    this.closeTransport();
  }

  private async attempts(mail: OutgoingMail): Promise<void> {
    // Composed on the first attempt and sent as it is on every retry: one Message-ID and one Date
    // for the one mail, so a receiver that did take an attempt we saw fail can tell the copies
    // apart from a second mail.
    let composed: ComposedMail | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.turns.run(() => this.deliver((composed ??= this.composer.compose(mail))));
        return;
      } catch (error) {
        const delay = this.retryDelaysMs[attempt - 1];
        if (delay === undefined || this.closed) {
          this.logger.error(
            { kind: mail.kind, attempt, err: safeError(error) },
            'mail not delivered: giving up',
          );
          return;
        }
        this.logger.warn(
          { kind: mail.kind, attempt, retryInMs: delay, err: safeError(error) },
          'mail not delivered: will retry',
        );
        await this.pause(delay);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((wake) => {
      const wait = {
        timer: setTimeout(() => {
          this.waits.delete(wait);
          wake();
        }, ms),
        wake,
      };
      this.waits.add(wait);
    });
  }

  private smtp(url: string): Deliver {
    const transport = createTransport({
      url,
      pool: true,
      maxConnections: SENDS_AT_ONCE,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    this.closeTransport = () => transport.close();
    return async ({ kind, raw, envelope, messageId }) => {
      await transport.sendMail({ envelope, raw });
      this.logger.info({ kind, messageId }, 'mail sent');
    };
  }

  private outbox(folder: string): Deliver {
    return async (mail) => {
      // Unix line ends, for reading in an editor; mail programs open either kind.
      const text = mail.raw.replace(/\r\n/g, '\n');
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const file = join(folder, `${stamp}-${mail.kind}-${randomBytes(4).toString('hex')}.eml`);
      const write = () => writeFile(file, text, { mode: 0o600 });
      // The folder is made on the first mail, and again if someone removed it meanwhile.
      await write().catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
        await mkdir(folder, { recursive: true, mode: 0o700 });
        await write();
      });
      // A link to the mail, not the mail's link: that holds a token, which no log line may.
      this.logger.info(
        { kind: mail.kind, file, url: pathToFileURL(file).href },
        'mail written to the outbox (no SMTP_URL): open it for the link and code',
      );
    };
  }
}

const LINE_END = /\r?\n/g;

/**
 * Writes each mail as it goes out, in one synchronous step. nodemailer's own composer streams
 * every part through several piped streams: at registration rates that cost about as much CPU as
 * the rest of the request besides its password hash. Here only what differs per mail is built per
 * mail. What is the same for every mail (the From header, each template's Subject) is written
 * once, by nodemailer's MimeNode and MIME functions: address and encoded-word rules stay theirs.
 */
export class MailComposer {
  private readonly fromLine: string;
  private readonly fromAddress: string;
  private readonly domain: string;
  private readonly subjects = new Map<string, string>();

  constructor(from: string) {
    const sender = new MimeNode('text/plain', { textEncoding: 'Q' });
    sender.setHeader('From', from);
    this.fromLine = /^From: .*(?:\r\n[ \t].*)*/m.exec(sender.buildHeaders())?.[0] ?? '';
    this.fromAddress = sender.getEnvelope().from || '';
    this.domain = this.fromAddress.split('@').pop() || 'localhost';
  }

  /** The message with CRLF line ends, its SMTP envelope and its Message-ID, for its kind. */
  compose(mail: OutgoingMail): ComposedMail {
    const messageId = `<${randomUUID()}@${this.domain}>`;
    const boundary = `--_account-api-${randomUUID()}`;
    // Quoted-printable keeps ASCII (the link's token, its own line) readable in Chinese mails too.
    const part = (type: string, content: string) =>
      `--${boundary}\r\nContent-Type: ${type}; charset=utf-8\r\n` +
      `Content-Transfer-Encoding: quoted-printable\r\n\r\n` +
      `${wrap(encode(content.replace(LINE_END, '\r\n')), 76)}\r\n`;
    const headers = [
      this.fromLine,
      `To: <${mail.to}>`,
      this.subject(mail.subject),
      `Date: ${new Date().toUTCString().replace(/GMT$/, '+0000')}`,
      `Message-ID: ${messageId}`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/alternative;\r\n boundary="${boundary}"`,
    ].join('\r\n');
    return {
      kind: mail.kind,
      raw: `${headers}\r\n\r\n${part('text/plain', mail.text)}${part('text/html', mail.html)}--${boundary}--\r\n`,
      envelope: { from: this.fromAddress, to: [mail.to] },
      messageId,
    };
  }

  /** One per template and language: encoded (every word, as MimeNode does) and folded once. */
  private subject(text: string): string {
    let line = this.subjects.get(text);
    if (line === undefined) {
      line = foldLines(`Subject: ${encodeWords(text, 'Q', 52, true)}`, 76);
      this.subjects.set(text, line);
    }
    return line;
  }
}
