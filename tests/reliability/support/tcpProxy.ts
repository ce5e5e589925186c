import net from 'node:net';
import ConnectionString from 'mongodb-connection-string-url';

/**
 * A TCP proxy on 127.0.0.1 between the app and the database. `cut()` drops every connection at
 * once (a reset, as when a network link or the database dies) and resets each new one until
 * `restore()`; the app cannot tell it from a real outage.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private isCut = false;

  private constructor(
    private readonly server: net.Server,
    private readonly target: { host: string; port: number },
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  /** Starts a proxy to `host:port` on a free loopback port. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = net.createServer();
    const proxy = new TcpProxy(server, target);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  cut(): void {
    this.isCut = true;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  restore(): void {
    this.isCut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.isCut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    const pair = [client, upstream];
    for (const socket of pair) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      // Whichever side fails or closes, both go: a half-open link would only hide the fault.
      socket.on('error', () => pair.forEach((s) => s.destroy()));
      socket.on('close', () => {
        this.sockets.delete(socket);
        pair.forEach((s) => s.destroy());
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** Host and port of the database server named by MONGODB_URI (a single host: the proxy has one target). */
export function databaseServer(uri = process.env.MONGODB_URI): { host: string; port: number } {
  if (!uri) throw new Error('MONGODB_URI is not set: run the tests with `npm test` (see tests/setup)');
  const parsed = new ConnectionString(uri);
  if (parsed.isSRV || parsed.hosts.length !== 1) {
    throw new Error('the reliability tests need MONGODB_URI to name a single host (they put a proxy in front of it)');
  }
  const host = parsed.hosts[0]!;
  const colon = host.lastIndexOf(':');
  return colon > 0
    ? { host: host.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(host.slice(colon + 1)) }
    : { host, port: 27017 };
}

/**
 * `databaseUri` with its host replaced by the proxy. `directConnection` keeps the driver on this
 * address: a replica set would otherwise hand it the members' own addresses, around the proxy.
 */
export function throughProxy(databaseUri: string, proxy: TcpProxy): string {
  const uri = new ConnectionString(databaseUri);
  uri.hosts = [`127.0.0.1:${proxy.port}`];
  uri.searchParams.set('directConnection', 'true');
  uri.searchParams.delete('replicaSet');
  return uri.toString();
}
