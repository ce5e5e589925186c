// What the tests keep in sessions, typed as an app types its own (module augmentation, see the README).
import 'express-session';

declare module 'express-session' {
  interface SessionData {
    isLoggedIn?: boolean;
    returnTo?: string;
    user?: { _id: string; email: string };
    userAgent?: string;
  }
}
