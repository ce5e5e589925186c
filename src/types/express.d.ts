import type { UserDocument } from '../models/User';

declare global {
  namespace Express {
    interface Request {
      /** The logged-in user, re-fetched from MongoDB on every request (see middleware/currentUser). */
      user?: UserDocument;
    }
  }
}

export {};
