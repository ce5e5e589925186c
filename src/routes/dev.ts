import { Router } from 'express';
import { devMailController } from '../controllers/devMail';
import { noStore } from '../middleware/noStore';

/** Tools for a shop running on a developer's machine; never mounted in production or tests. */
export function devRoutes({ outboxDir }: { outboxDir: string }): Router {
  const mail = devMailController(outboxDir);
  const router = Router();
  router.get('/dev/mail', noStore, mail.listMail);
  router.get('/dev/mail/:name', noStore, mail.showMail);
  return router;
}
