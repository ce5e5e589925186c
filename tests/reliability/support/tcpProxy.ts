import net from 'node:net';
import ConnectionString from 'mongodb-connection-string-url';
import { mongo } from 'mongoose';

/** A reply the proxy sends in the server's place, for a command named `command`. */
export type ServerReply = (command: string) => mongo.Document;

type Mode =
  | { kind: 'open' }
  | { kind: 'cut' }
  | { kind: 'blackHole' }
  | { kind: 'refuseWrites'; reply: ServerReply; commands: ReadonlySet<string> };

/** A command as the proxy sees it: its name, the collection it names, its whole body. */
export interface SeenCommand {
  name: string;
  collection: unknown;
  body: mongo.Document;
}

/** The first command matching a test's predicate, held at the proxy until the test releases it. */
export interface HeldCommand {
  /** Resolves with the command once one matching arrived (and is held). */
  readonly arrived: Promise<SeenCommand>;
  /** Sends it on to the server (and stops holding: later matches pass). */
  release(): void;
}

interface Hold {
  matches: (command: SeenCommand) => boolean;
  arrive: (command: SeenCommand) => void;
  held?: { link: Link; message: Buffer };
  released: boolean;
}

/** One client connection and, unless black-holed from the start, its connection to the server. */
interface Link {
  client: net.Socket;
  upstream?: net.Socket;
  /** Bytes from the client not yet forming a whole wire-protocol message. */
  pending: Buffer;
  /** Black-holed: nothing passes either way any more. */
  silenced: boolean;
}

const OP_MSG = 2013;
const MORE_TO_COME = 0b10;
/** The commands that write; what `refuseWrites` answers in the server's place. */
export const WRITE_COMMANDS: ReadonlySet<string> = new Set(['insert', 'update', 'delete', 'findAndModify']);

/** The body of an OP_MSG request (its section of kind 0), if it is one. */
function bodyOf(message: Buffer): mongo.Document | undefined {
  if (message.readInt32LE(12) !== OP_MSG || message.length < 27 || message[20] !== 0) return undefined;
  const size = message.readInt32LE(21);
  return mongo.BSON.deserialize(message.subarray(21, 21 + size));
}

/** The command name of an OP_MSG request (the first key of its body), if it is one. */
function commandOf(message: Buffer): string | undefined {
  if (message.readInt32LE(12) !== OP_MSG || message.length < 27 || message[20] !== 0) return undefined;
  // Section kind 0 at 20, then the body document: int32 size, element type, name (a C string).
  const nameStart = 26;
  return message.toString('utf8', nameStart, message.indexOf(0, nameStart));
}

let nextRequestId = 1;

/** An OP_MSG reply to `request` carrying `document`, as the server would send it. */
function replyTo(request: Buffer, document: mongo.Document): Buffer {
  const body = mongo.BSON.serialize(document);
  const header = Buffer.alloc(21);
  header.writeInt32LE(header.length + body.length, 0);
  header.writeInt32LE(nextRequestId++, 4);
  header.writeInt32LE(request.readInt32LE(4), 8); // responseTo: the request's id
  header.writeInt32LE(OP_MSG, 12);
  header.writeUInt32LE(0, 16); // flag bits
  header.writeUInt8(0, 20); // section kind 0: the body
  return Buffer.concat([header, body]);
}

/**
 * A TCP proxy on 127.0.0.1 between the app and the database, which plays the database's faults:
 * - `cut()` drops every connection at once (a reset, as when a network link or the database dies)
 *   and resets each new one;
 * - `blackHole()` keeps every connection open but lets nothing through, and accepts new ones that
 *   are never answered: a database that hangs (SIGSTOP, a full network queue, a dead route);
 * - `refuseWrites(reply)` passes every read and answers each write command itself with `reply`,
 *   the error a server that cannot write sends (a full disk, read-only files);
 * until `restore()`. The app cannot tell any of them from the real thing.
 */
export class TcpProxy {
  private readonly links = new Set<Link>();
  private mode: Mode = { kind: 'open' };
  private holds: Hold[] = [];

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
    this.mode = { kind: 'cut' };
    for (const link of this.links) this.drop(link, true);
  }

  blackHole(): void {
    this.mode = { kind: 'blackHole' };
    for (const link of this.links) link.silenced = true;
  }

  refuseWrites(reply: ServerReply, commands: ReadonlySet<string> = WRITE_COMMANDS): void {
    this.mode = { kind: 'refuseWrites', reply, commands };
  }

  /**
   * Holds the first command for which `matches` is true (a slow or paused instance's next write,
   * say): its connection waits, every other passes, until `release()`. Kept through `restore()`.
   */
  hold(matches: (command: SeenCommand) => boolean): HeldCommand {
    let arrive!: (command: SeenCommand) => void;
    const arrived = new Promise<SeenCommand>((resolve) => (arrive = resolve));
    const hold: Hold = { matches, arrive, released: false };
    this.holds.push(hold);
    return {
      arrived,
      release: () => {
        hold.released = true;
        this.holds = this.holds.filter((other) => other !== hold);
        if (hold.held && !hold.held.link.silenced) hold.held.link.upstream?.write(hold.held.message);
      },
    };
  }

  restore(): void {
    this.mode = { kind: 'open' };
    // A black-holed link is out of step (requests without answers): closed, as the driver gave up on it.
    for (const link of this.links) if (link.silenced) this.drop(link, false);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.mode.kind === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const link: Link = { client, pending: Buffer.alloc(0), silenced: this.mode.kind === 'blackHole' };
    this.links.add(link);
    client.setNoDelay(true);
    client.on('error', () => this.drop(link, false));
    client.on('close', () => this.drop(link, false));
    client.on('data', (chunk: Buffer) => this.fromClient(link, chunk));
    if (link.silenced) return;

    const upstream = net.connect(this.target.port, this.target.host);
    link.upstream = upstream;
    upstream.setNoDelay(true);
    // Whichever side fails or closes, both go: a half-open link would only hide the fault.
    upstream.on('error', () => this.drop(link, false));
    upstream.on('close', () => this.drop(link, false));
    upstream.on('data', (chunk: Buffer) => {
      if (!link.silenced) client.write(chunk);
    });
  }

  /** Passes the client's bytes on message by message, so that a write can be answered in the server's place. */
  private fromClient(link: Link, chunk: Buffer): void {
    link.pending = Buffer.concat([link.pending, chunk]);
    while (link.pending.length >= 4 && link.pending.length >= link.pending.readInt32LE(0)) {
      const length = link.pending.readInt32LE(0);
      const message = link.pending.subarray(0, length);
      link.pending = link.pending.subarray(length);
      if (link.silenced) continue;
      if (this.holdsBack(link, message)) continue;
      const command = this.mode.kind === 'refuseWrites' ? commandOf(message) : undefined;
      if (this.mode.kind === 'refuseWrites' && command && this.mode.commands.has(command)) {
        if ((message.readUInt32LE(16) & MORE_TO_COME) === 0)
          link.client.write(replyTo(message, this.mode.reply(command)));
        continue;
      }
      link.upstream?.write(message);
    }
  }

  /** Whether `message` is now held by a hold (it takes the first match only). */
  private holdsBack(link: Link, message: Buffer): boolean {
    const waiting = this.holds.filter((hold) => !hold.held && !hold.released);
    if (waiting.length === 0) return false;
    const body = bodyOf(message);
    if (!body) return false;
    const name = Object.keys(body)[0] ?? '';
    const seen: SeenCommand = { name, collection: body[name], body };
    const hold = waiting.find((candidate) => candidate.matches(seen));
    if (!hold) return false;
    hold.held = { link, message };
    hold.arrive(seen);
    return true;
  }

  private drop(link: Link, reset: boolean): void {
    if (!this.links.delete(link)) return;
    for (const socket of [link.client, link.upstream]) {
      if (reset) socket?.resetAndDestroy();
      else socket?.destroy();
    }
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
