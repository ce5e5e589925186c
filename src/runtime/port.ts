import net from 'node:net';

/** Another process listens on the port: a sentence for the console, not a stack. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';

  constructor(host: string, port: number) {
    super(
      `Port ${port} on ${host} is in use (another \`npm start\`?): stop that process or set PORT=… (e.g. PORT=${port + 1}).`,
    );
  }
}

/** Resolves when `port` can be listened on, before anything (an embedded database) is started. */
export function ensurePortIsFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(host, port) : err),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}
