import type { RequestHandler } from 'express';
import { safeReturnTo, signedInUser } from '../auth/access';
import type { SessionControl } from '../config/sessionStore';
import { redirectWith } from '../lib/flash';
import { notFound } from '../lib/HttpError';
import { regenerateSession } from '../lib/requestSession';
import {
  MAX_SEARCH_LENGTH,
  accountPage,
  endSessionsOfAccount,
  findAccount,
  sessionCount,
} from '../services/adminUsers';
import { parsePageParam } from '../services/products';

const ACCOUNTS_PER_PAGE = 20;

/** The list's address for a search and a page (neither when empty or the first). */
function listHref(q: string, page = 1): string {
  const params = new URLSearchParams({ ...(q ? { q } : {}), ...(page > 1 ? { page: String(page) } : {}) });
  return params.size ? `/admin/users?${params.toString()}` : '/admin/users';
}

/** A `back` field that leads to the list (with its search and page), and nowhere else. */
function backToList(back: unknown): string {
  const target = safeReturnTo(back);
  return /^\/admin\/users(\?|$)/.test(target) ? target : '/admin/users';
}

/** The admins' list of accounts, and ending an account's sessions (ASVS 7.4.5). */
export function adminUsersController({
  sessions,
}: {
  sessions: Pick<SessionControl, 'countLiveSessionsOfUsers' | 'destroySessionsOfUser'>;
}) {
  /** @route GET /admin/users?q=…&page=N — accounts newest first, or those whose email contains `q`. */
  const getUsers: RequestHandler = async (req, res) => {
    // A repeated `q` (an array) or an over-long one searches for nothing rather than failing.
    const raw = req.query.q;
    const q = typeof raw === 'string' ? raw.trim().slice(0, MAX_SEARCH_LENGTH) : '';
    const page = parsePageParam(req.query.page);
    if (page === undefined) return res.redirect(listHref(q));
    const accounts = await accountPage(q, page, ACCOUNTS_PER_PAGE, sessions);
    if (page > accounts.pageCount) return res.redirect(listHref(q, accounts.pageCount));
    res.render('admin/users', {
      title: 'Users',
      q,
      maxSearchLength: MAX_SEARCH_LENGTH,
      accounts: accounts.items,
      pagination: accounts,
      pageHref: (n: number) => listHref(q, n),
    });
  };

  /**
   * @route POST /admin/users/:userId/end-sessions — field `back`, the list's address to return to.
   * An admin may end their own sessions (their own account may be the one in doubt): this one ends
   * too, and they land on the login page.
   */
  const postEndSessions: RequestHandler = async (req, res) => {
    const account = await findAccount(req.params.userId);
    const ended = await endSessionsOfAccount(account._id, sessions);
    // Deleted since it was found.
    if (ended === null) throw notFound('Account');
    const own = account._id.equals(signedInUser(req)._id);
    if (own) {
      // Its document is gone already; a new, empty session carries the message to the login page.
      await regenerateSession(req);
      return redirectWith(req, res, '/login', {
        kind: 'info',
        text: `You ended your ${sessionCount(ended)}, this one included. Log in again to go on.`,
      });
    }
    await redirectWith(req, res, backToList(req.body?.back), {
      kind: 'success',
      text: `Ended ${sessionCount(ended)} of ${account.email}: they are signed out everywhere.`,
    });
  };

  return { getUsers, postEndSessions };
}
