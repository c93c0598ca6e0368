import { type AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface Inbox {
  /** SMTP_URL for the server under test, with credentials the inbox checks. */
  url: string;
  /** Every mail accepted so far, in order of arrival. */
  received: ParsedMail[];
  /** Mails to one address (any case). */
  to(address: string): ParsedMail[];
  /** The SMTP envelope a mail came with (MAIL FROM, RCPT TO), and its text as received. */
  delivery(mail: ParsedMail): { from: string; to: string[]; source: string };
  /** Waits for the first mail to `address` beyond the `after` already seen. */
  next(address: string, after?: number, timeoutMs?: number): Promise<ParsedMail>;
  /** The next `count` deliveries are refused with a temporary error (451). */
  refuseNext(count: number): void;
  /** Deliveries refused so far. */
  refused: number;
  /**
   * The next `count` mails are refused with a temporary error (451) once their text has arrived,
   * as a server that took a mail but could not keep it would; their texts go to `refusedTexts`.
   */
  refuseNextData(count: number): void;
  /** The texts of the mails refused after their DATA, in order. */
  refusedTexts: string[];
  close(): Promise<void>;
}

export const SMTP_USER = 'mailer';
export const SMTP_PASSWORD = 'smtp-password-never-logged';

function recipients(mail: ParsedMail): string[] {
  const to = mail.to ? (Array.isArray(mail.to) ? mail.to : [mail.to]) : [];
  return to.flatMap((group) => group.value.map((entry) => (entry.address ?? '').toLowerCase()));
}

/** A real SMTP server on loopback (smtp-server), reading what arrives with mailparser. */
export async function startInbox(): Promise<Inbox> {
  const received: ParsedMail[] = [];
  const deliveries = new WeakMap<ParsedMail, { from: string; to: string[]; source: string }>();
  const waiters: (() => void)[] = [];
  let refuse = 0;
  let refuseData = 0;
  const inbox = { refused: 0, refusedTexts: [] as string[] } as Inbox;
  // As real servers do, a refused recipient is quoted in the answer (Postfix: "450 4.2.0 <a@b>:
  // Recipient address rejected"): the address must not reach the log through the error.
  const tryAgainLater = (recipient?: string) => {
    const text = recipient ? `<${recipient}>: try again later` : 'try again later';
    const error = new Error(text) as Error & { responseCode: number };
    error.responseCode = 451;
    return error;
  };
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) {
        callback(null, { user: auth.username });
      } else {
        callback(new Error('Invalid username or password'));
      }
    },
    onRcptTo(address, _session, callback) {
      if (refuse > 0) {
        refuse -= 1;
        inbox.refused += 1;
        callback(tryAgainLater(address.address));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const source = Buffer.concat(chunks);
        if (refuseData > 0) {
          refuseData -= 1;
          inbox.refused += 1;
          inbox.refusedTexts.push(source.toString('utf8'));
          callback(tryAgainLater());
          return;
        }
        simpleParser(source).then(
          (mail) => {
            const { mailFrom, rcptTo } = session.envelope;
            deliveries.set(mail, {
              from: mailFrom ? mailFrom.address : '',
              to: rcptTo.map((recipient) => recipient.address),
              source: source.toString('utf8'),
            });
            received.push(mail);
            waiters.splice(0).forEach((wake) => wake());
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  const to = (address: string) =>
    received.filter((mail) => recipients(mail).includes(address.toLowerCase()));

  return Object.assign(inbox, {
    url: `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${port}`,
    received,
    to,
    delivery: (mail: ParsedMail) => deliveries.get(mail)!,
    async next(address: string, after = 0, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mails = to(address);
        if (mails.length > after) return mails[after]!;
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`no mail #${after + 1} to ${address} within ${timeoutMs} ms`);
        await new Promise<void>((wake) => {
          const timer = setTimeout(wake, left);
          waiters.push(() => {
            clearTimeout(timer);
            wake();
          });
        });
      }
    },
    refuseNext(count: number) {
      refuse = count;
    },
    refuseNextData(count: number) {
      refuseData = count;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/** The token of a mailed link: on a line of its own in the text part. */
export function tokenIn(mail: ParsedMail): string {
  const match = /^([A-Za-z0-9_-]{43})$/m.exec(mail.text ?? '');
  if (!match) throw new Error(`no token in mail: ${mail.text}`);
  return match[1]!;
}
