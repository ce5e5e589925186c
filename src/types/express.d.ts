import type { AfterResponse } from '../lib/afterResponse';
import type { UserDocument } from '../models/User';

declare global {
  namespace Express {
    interface Request {
      /** The logged-in user, re-fetched from MongoDB on every request (see auth/currentUser.ts). */
      user?: UserDocument;
      /** Queues work for after the response (lib/afterResponse.ts). */
      afterResponse: AfterResponse;
    }
  }
}

export {};
