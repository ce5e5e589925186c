import { Router } from 'express';
import { imagesController } from '../controllers/images';

/** Uploaded product images: public, with no session, cookie or CSRF involved. */
export function imageRoutes(): Router {
  const images = imagesController();
  const router = Router();
  router.get('/images/uploads/:imageId', images.getImage);
  return router;
}
