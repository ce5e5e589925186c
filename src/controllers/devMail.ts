import fs from 'node:fs/promises';
import path from 'node:path';
import type { RequestHandler } from 'express';
import type { OutboxCopy } from '../lib/mailer';
import { notFound } from '../lib/HttpError';

/** A mail's text cut into plain parts and links, so that the view escapes all of it yet links work. */
type Part = { text: string } | { link: string };

const LINK = /(https?:\/\/[^\s<>"]+)/g;

function partsOf(text: string): Part[] {
  return text.split(LINK).map((piece, i) => (i % 2 === 1 ? { link: piece } : { text: piece }));
}

const NAME = /^[\w-]+$/;

async function readCopy(dir: string, name: string): Promise<OutboxCopy | undefined> {
  const raw = await fs.readFile(path.join(dir, `${name}.json`), 'utf8').catch(() => undefined);
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as OutboxCopy;
  } catch {
    return undefined; // still being written
  }
}

/**
 * The outbox of a development shop (mail is written to MAIL_OUTBOX_DIR when SMTP_URL is unset), so
 * that a newcomer can follow signup and reset links without a mail server. Mounted only when
 * NODE_ENV is development (see app.ts): it shows every account's mail.
 */
export function devMailController(outboxDir: string) {
  /** @route GET /dev/mail — newest first (file names start with the time). */
  const listMail: RequestHandler = async (_req, res) => {
    const names = (await fs.readdir(outboxDir).catch(() => []))
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .sort()
      .reverse()
      .slice(0, 100);
    const mails = (
      await Promise.all(names.map(async (name) => ({ name, mail: await readCopy(outboxDir, name) })))
    ).filter((entry): entry is { name: string; mail: OutboxCopy } => entry.mail !== undefined);
    res.render('dev/mail', { title: 'Mail sent by this shop', mails, outboxDir });
  };

  /** @route GET /dev/mail/:name */
  const showMail: RequestHandler = async (req, res) => {
    const name = String(req.params.name);
    const mail = NAME.test(name) ? await readCopy(outboxDir, name) : undefined;
    if (!mail) throw notFound('Mail');
    res.render('dev/mail-message', { title: mail.subject, mail, parts: partsOf(mail.text) });
  };

  return { listMail, showMail };
}
