import 'express-session';
import type { PasswordField } from '../auth/reauth';

declare module 'express-session' {
  interface SessionData {
    isLoggedIn: boolean;
    /**
     * A small plain copy of who is logged in: never the password hash, never the document. `epoch`
     * is the user's credentialEpoch when the password was checked (absent in older sessions: 0).
     */
    user: { _id: string; email: string; epoch?: number };
    /** Where to send the visitor after logging in (a same-site path). */
    returnTo: string;
    flash: Partial<Record<FlashKind, string[]>>;
    /** The browser's User-Agent at login, shown on the account's list of sessions. */
    userAgent: string;
    /** When the password was last entered in this session, in ms since the epoch (auth/reauth.ts). */
    reauthenticatedAt: number;
    /** How this session signed in (shown on /account; absent in sessions older than this field). */
    signedInWith: 'password' | 'remember-me';
    /** The network the login came from (an IPv4 /24, an IPv6 /48), shown on /account. */
    place: string;
    /**
     * A form that asked for re-authentication first, to resubmit once the password is confirmed:
     * what its route declared (auth/reauth.ts) and the fields as they were filled in.
     */
    pendingForm: { action: string; fields: Record<string, string>; label?: string; passwordFields?: PasswordField[] };
    /** This visitor has a guest cart (a GuestCart document keyed by the session id). */
    hasGuestCart: boolean;
  }
  type FlashKind = 'success' | 'error' | 'info';
}
