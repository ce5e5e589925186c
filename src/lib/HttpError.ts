/** An error that carries the HTTP status (and a message safe to show) to the error handler. */
export class HttpError extends Error {
  override name = 'HttpError';
  /** Its message is meant for the user (the error handler shows it). */
  readonly userFacing = true;

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what = 'Page') => new HttpError(404, `${what} not found.`);
