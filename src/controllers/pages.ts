import type { RequestHandler } from 'express';
import { pingDatabase } from '../db';

/** @route GET /account */
export const getAccount: RequestHandler = (req, res) =>
  res.render('account/index', { title: 'Your account', user: req.user });

/** @route GET /healthz — 200 while MongoDB answers a ping, 503 otherwise. */
export const getHealth: RequestHandler = async (_req, res) => {
  const ok = await pingDatabase();
  res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable' });
};
