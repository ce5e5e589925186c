import type { Request, RequestHandler, Response } from 'express';
import { matchedData } from 'express-validator';
import { amountText, parseAmount } from '../lib/money';
import { redirectWith } from '../middleware/flash';
import { signedInUser } from '../middleware/requireAuth';
import { Product, type ProductDocument } from '../models/Product';
import { deleteProduct, findOwnProduct } from '../services/products';
import { fieldErrors, formValue, type FieldErrors } from '../validation';

interface ProductForm {
  title: string;
  price: string;
  imageUrl: string;
  description: string;
}

const emptyForm: ProductForm = { title: '', price: '', imageUrl: '', description: '' };

function formOf(product: ProductDocument): ProductForm {
  const { title, imageUrl, description } = product;
  return { title, imageUrl, description, price: amountText(product.priceCents) };
}

/** Only these fields reach the model (no mass assignment); the price becomes whole cents. */
function fieldsFrom(req: Request) {
  const { title, price, imageUrl, description } = matchedData<ProductForm>(req);
  return { title, imageUrl, description, priceCents: parseAmount(price)! };
}

function renderForm(
  res: Response,
  status: number,
  locals: { form: ProductForm; errors?: FieldErrors; productId?: string },
) {
  const editing = Boolean(locals.productId);
  res.status(status).render('admin/edit-product', {
    title: editing ? 'Edit product' : 'Add a product',
    editing,
    errors: {},
    ...locals,
  });
}

/** What the visitor typed, echoed back into the form (strings only). */
function submitted(req: Request): ProductForm {
  const body = req.body ?? {};
  return {
    title: formValue(body.title),
    price: formValue(body.price),
    imageUrl: formValue(body.imageUrl),
    description: formValue(body.description),
  };
}

/** @route GET /admin/products — the products this user created. */
export const getProducts: RequestHandler = async (req, res) => {
  const products = await Product.find({ userId: signedInUser(req)._id }).sort({ createdAt: -1 });
  res.render('admin/products', { title: 'Your products', products });
};

/** @route GET /admin/add-product */
export const getAddProduct: RequestHandler = (_req, res) => renderForm(res, 200, { form: emptyForm });

/** @route POST /admin/add-product */
export const postAddProduct: RequestHandler = async (req, res) => {
  const errors = fieldErrors(req);
  if (errors) return renderForm(res, 422, { form: submitted(req), errors });
  const product = await Product.create({ ...fieldsFrom(req), userId: signedInUser(req)._id });
  await redirectWith(req, res, '/admin/products', { kind: 'success', text: `“${product.title}” is now in the shop.` });
};

/** @route GET /admin/edit-product/:productId */
export const getEditProduct: RequestHandler = async (req, res) => {
  const product = await findOwnProduct(req.params.productId, signedInUser(req));
  renderForm(res, 200, { form: formOf(product), productId: product._id.toString() });
};

/** @route POST /admin/edit-product */
export const postEditProduct: RequestHandler = async (req, res) => {
  const product = await findOwnProduct(req.body?.productId, signedInUser(req));
  const errors = fieldErrors(req);
  if (errors) return renderForm(res, 422, { form: submitted(req), errors, productId: product._id.toString() });
  product.set(fieldsFrom(req));
  await product.save();
  await redirectWith(req, res, '/admin/products', { kind: 'success', text: `Saved “${product.title}”.` });
};

/** @route POST /admin/delete-product */
export const postDeleteProduct: RequestHandler = async (req, res) => {
  const product = await findOwnProduct(req.body?.productId, signedInUser(req));
  await deleteProduct(product);
  await redirectWith(req, res, '/admin/products', { kind: 'success', text: `Deleted “${product.title}”.` });
};
