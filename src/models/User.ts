import { Schema, model, type HydratedDocument } from 'mongoose';

export interface UserFields {
  email: string;
  password: string;
  createdAt: Date;
  updatedAt: Date;
}

const userSchema = new Schema<UserFields>(
  {
    email: { type: String, required: true, unique: true, lowercase: true, trim: true },
    // A bcrypt hash; `select: false` keeps it out of every query that does not ask for it.
    password: { type: String, required: true, select: false },
  },
  { timestamps: true },
);

export const User = model<UserFields>('User', userSchema);
export type UserDocument = HydratedDocument<UserFields>;

/** True for MongoDB's duplicate-key error (E11000), e.g. a second signup with the same email. */
export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 11000;
}
