import type { Request } from 'express';
import type { CartOwner } from '../services/cart';

/** Whose cart a request is about: the signed-in user's, or the guest's of this session. */
export function cartOwnerOf(req: Request): CartOwner {
  if (req.user) return { user: req.user };
  return { guestSessionId: req.sessionID, hasGuestCart: Boolean(req.session.hasGuestCart) };
}
