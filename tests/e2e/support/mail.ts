import fs from 'node:fs';
import path from 'node:path';
import { OUTBOX_DIR } from './server';

export interface OutboxMail {
  file: string;
  to: string;
  subject: string;
  text: string;
}

const MAIL_TIMEOUT_MS = 15_000;
const POLL_MS = 100;

/** The body as written, decoded from the transfer encoding nodemailer chose. */
function decodeBody(headers: string, body: string): string {
  const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body, 'base64').toString('utf8');
  if (encoding !== 'quoted-printable') return body;
  const bytes = body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_match, hex: string) => `%${hex}`)
    .replace(/%(?![0-9A-F]{2})/gi, '%25');
  return decodeURIComponent(bytes);
}

function parseMail(file: string): OutboxMail {
  const raw = fs.readFileSync(file, 'utf8');
  const split = raw.search(/\r?\n\r?\n/);
  const headers = raw.slice(0, split);
  const body = raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(headers)?.[1]?.trim() ?? '';
  return { file, to: header('to'), subject: header('subject'), text: decodeBody(headers, body) };
}

function mailsTo(address: string): OutboxMail[] {
  if (!fs.existsSync(OUTBOX_DIR)) return [];
  return fs
    .readdirSync(OUTBOX_DIR)
    .filter((name) => name.endsWith('.eml'))
    .map((name) => parseMail(path.join(OUTBOX_DIR, name)))
    .filter((mail) => mail.to === address);
}

/**
 * Waits for the one mail the server sends `address` (it is sent after the response, so it may
 * arrive a moment later) and returns it. Each test uses a new address, so old mails never match.
 */
export async function waitForMailTo(address: string): Promise<OutboxMail> {
  const deadline = Date.now() + MAIL_TIMEOUT_MS;
  for (;;) {
    const mails = mailsTo(address);
    if (mails.length > 1) throw new Error(`${mails.length} mails were sent to ${address}, not one`);
    // A mail file is written in one call; a partly written one has no body yet and is read again.
    if (mails[0]?.text) return mails[0];
    if (Date.now() > deadline) throw new Error(`no mail to ${address} in ${OUTBOX_DIR} within ${MAIL_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The first http(s) link in a mail's text. */
export function linkIn(mail: OutboxMail): string {
  const link = /https?:\/\/\S+/.exec(mail.text)?.[0];
  if (!link) throw new Error(`no link in the mail "${mail.subject}":\n${mail.text}`);
  return link;
}
