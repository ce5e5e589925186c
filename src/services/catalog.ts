import { GuestCart } from '../models/GuestCart';
import { removeItem } from '../models/cartItems';
import { updateCart } from '../models/cartStore';
import type { ProductDocument } from '../models/Product';
import { User } from '../models/User';

/**
 * Deletes a product and takes it out of every cart, users' and guests' alike. Carts change one
 * by one through the same compare-and-swap as any cart edit (not every server can `$pull` by a
 * condition), so an add racing with the deletion is not lost either.
 */
export async function deleteProduct(product: ProductDocument): Promise<void> {
  await product.deleteOne();
  const inCart = { 'cart.items.productId': product._id };
  const [users, guests] = await Promise.all([
    User.find(inCart).select('_id').lean(),
    GuestCart.find(inCart).select('_id').lean(),
  ]);
  await Promise.all([
    ...users.map((user) => updateCart({ collection: User.collection, id: user._id }, removeItem(product._id))),
    ...guests.map((guest) => updateCart({ collection: GuestCart.collection, id: guest._id }, removeItem(product._id))),
  ]);
}
