import type { Request } from 'express';
import { validationResult } from 'express-validator';

export type FieldErrors = Record<string, string>;

/** The first error message for each field, for showing next to it; null when the input is valid. */
export function fieldErrors(req: Request): FieldErrors | null {
  const result = validationResult(req);
  if (result.isEmpty()) return null;
  const errors: FieldErrors = {};
  for (const error of result.array()) {
    if (error.type === 'field' && !(error.path in errors)) errors[error.path] = String(error.msg);
  }
  return errors;
}

/** A form value to echo back into its field: strings only, never an injected object. */
export function formValue(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
