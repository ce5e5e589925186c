/**
 * What an error page may never show: a stack trace, a driver or library message, a session id.
 * Returns the offending fragments (none for a clean page).
 */
export function leaksIn(body: string, secrets: string[] = []): string[] {
  const patterns = [
    /\bat [\w.<>]+ \(?[/\\][^)]*:\d+:\d+\)?/, // a stack frame
    /node_modules/,
    /Mongo\w*Error|MongooseError|SessionStoreError/,
    /ECONN\w+|ETIMEDOUT|EPIPE/,
    /Topology|server selection|buffering timed out|connection \d+ to/i,
  ];
  const found = patterns.flatMap((pattern) => pattern.exec(body)?.[0] ?? []);
  return [...found, ...secrets.filter((secret) => secret && body.includes(secret))];
}
