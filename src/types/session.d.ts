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
    /** How sessions older than `signInMethods` signed in (shown on /account). */
    signedInWith: 'password' | 'remember-me';
    /**
     * How this session signed in, each step of it joined by "+" (auth/signIn.ts): the password,
     * then a second factor or a trusted browser ("password+authenticator"); or "remember-me".
     * Shown on /account (a string: the store lists string fields).
     */
    signInMethods: string;
    /**
     * A sign-in whose password was right, waiting for the second factor at /login/two-factor: the
     * single-use token of its record (auth/twoFactor/pendingSignIn.ts), and the address (for the
     * attempt budget). Only this browser's session holds the token.
     */
    pendingSignIn: { token: string; email: string };
    /** The authenticator key offered on /account/two-factor until a code proves it, sealed. */
    twoFactorSetup: { sealedKey: string };
    /** The network the login came from (an IPv4 /24, an IPv6 /48), shown on /account. */
    place: string;
    /**
     * A form that asked for re-authentication first, to resubmit once the password is confirmed:
     * what its route declared (auth/reauth.ts) and the fields as they were filled in.
     */
    pendingForm: {
      action: string;
      fields: Record<string, string>;
      label?: string;
      passwordFields?: PasswordField[];
      /** A page (a GET) to go back to, rather than a form to resubmit. */
      page?: boolean;
    };
    /** This visitor has a guest cart (a GuestCart document keyed by the session id). */
    hasGuestCart: boolean;
  }
  type FlashKind = 'success' | 'error' | 'info';
  type SignInMethod = 'password' | 'remember-me' | 'authenticator' | 'recovery-code' | 'trusted-browser' | 'passkey';
}
