import net from 'node:net';
import { mongo } from 'mongoose';

/** A command as the app sent it: its name, its collection (or 1) and its body, with any document sequences merged in. */
export interface WireCommand {
  name: string;
  collection: unknown;
  body: mongo.Document;
  /** The first command on its connection: the driver's handshake of a new connection. */
  opening: boolean;
}

/** A command the gate holds back; `release()` sends it on after all, and lets its connection go on. */
export interface HeldCommand extends WireCommand {
  release(): void;
}

interface Hold {
  matches: (command: WireCommand) => boolean;
  seen: (command: HeldCommand) => void;
}

interface Link {
  client: net.Socket;
  upstream: net.Socket;
  pending: Buffer;
  /** A command of this link is held: the connection waits for an answer that never comes. */
  held: boolean;
  /** Messages seen from the client so far. */
  sent: number;
}

const OP_QUERY = 2004;
const OP_MSG = 2013;

/** The command in an OP_QUERY request (a new connection's handshake): the query document. */
function queryIn(message: Buffer): mongo.Document {
  const afterName = message.indexOf(0, 20) + 1;
  const at = afterName + 8; // numberToSkip, numberToReturn
  return mongo.BSON.deserialize(message.subarray(at, at + message.readInt32LE(at)));
}

/** The command in an OP_MSG request: the body (section kind 0) plus each document sequence (kind 1) under its name. */
function bodyIn(message: Buffer): mongo.Document {
  let body: mongo.Document = {};
  const sequences: Record<string, mongo.Document[]> = {};
  for (let at = 20; at < message.length - 4;) {
    const kind = message[at];
    if (kind === 0) {
      const size = message.readInt32LE(at + 1);
      body = mongo.BSON.deserialize(message.subarray(at + 1, at + 1 + size));
      at += 1 + size;
    } else if (kind === 1) {
      const size = message.readInt32LE(at + 1);
      const end = at + 1 + size;
      const nameEnd = message.indexOf(0, at + 5);
      const documents: mongo.Document[] = [];
      for (let doc = nameEnd + 1; doc < end; doc += message.readInt32LE(doc)) {
        documents.push(mongo.BSON.deserialize(message.subarray(doc, doc + message.readInt32LE(doc))));
      }
      sequences[message.toString('utf8', at + 5, nameEnd)] = documents;
      at = end;
    } else {
      break; // a checksum, or something this reader does not know: the body is what it needs
    }
  }
  return { ...body, ...sequences };
}

function commandIn(message: Buffer, opening: boolean): WireCommand | undefined {
  const opCode = message.readInt32LE(12);
  const body = opCode === OP_MSG ? bodyIn(message) : opCode === OP_QUERY ? queryIn(message) : {};
  const name = Object.keys(body)[0];
  return name === undefined ? undefined : { name, collection: body[name], body, opening };
}

/** Whether `value` (any part of a command) mentions `text`, e.g. an id or an email. */
export const mentions = (value: unknown, text: string) => mongo.BSON.EJSON.stringify(value).includes(text);

/**
 * A TCP proxy for the reliability tests, in front of the database or of a TcpProxy, that passes
 * every byte through except the commands a test asks it to hold: `hold()` keeps back the next
 * command it matches (not sent on, so not answered) and resolves when that command arrives. The
 * request that sent it is then in flight, waiting for the database at a step the test chose, for
 * as long as the test likes (no timing involved), until the test releases the command or lets the
 * database stop answering altogether.
 */
export class CommandGate {
  private readonly links = new Set<Link>();
  private readonly holds = new Set<Hold>();

  private constructor(
    private readonly server: net.Server,
    private readonly target: { host: string; port: number },
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  static async start(target: { host: string; port: number }): Promise<CommandGate> {
    const gate = new CommandGate(net.createServer(), target);
    await new Promise<void>((resolve, reject) => {
      gate.server.once('error', reject);
      gate.server.listen(0, '127.0.0.1', () => resolve());
    });
    return gate;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Holds the next command for which `matches` is true; resolves with it once it has arrived (and been held). */
  hold(matches: (command: WireCommand) => boolean): Promise<HeldCommand> {
    return new Promise((resolve) => {
      const hold: Hold = {
        matches,
        seen: (command) => {
          this.holds.delete(hold);
          resolve(command);
        },
      };
      this.holds.add(hold);
    });
  }

  /**
   * Forgets the holds no command has met yet, and closes every connection that has a command held
   * (its client waits for an answer that will never come).
   */
  dropHeld(): void {
    this.holds.clear();
    for (const link of this.links) if (link.held) this.drop(link);
  }

  async close(): Promise<void> {
    this.holds.clear();
    for (const link of this.links) this.drop(link);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.target.port, this.target.host);
    const link: Link = { client, upstream, pending: Buffer.alloc(0), held: false, sent: 0 };
    this.links.add(link);
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      socket.on('error', () => this.drop(link));
      socket.on('close', () => this.drop(link));
    }
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('data', (chunk: Buffer) => this.fromClient(link, chunk));
  }

  private fromClient(link: Link, chunk: Buffer): void {
    link.pending = Buffer.concat([link.pending, chunk]);
    while (link.pending.length >= 4 && link.pending.length >= link.pending.readInt32LE(0)) {
      const message = link.pending.subarray(0, link.pending.readInt32LE(0));
      link.pending = link.pending.subarray(message.length);
      if (link.held) continue;
      link.sent += 1;
      const command = this.holds.size > 0 ? commandIn(message, link.sent === 1) : undefined;
      const hold = command && [...this.holds].find((candidate) => candidate.matches(command));
      if (hold && command) {
        link.held = true;
        const kept = Buffer.from(message);
        hold.seen({
          ...command,
          release: () => {
            link.held = false;
            link.upstream.write(kept);
          },
        });
        continue;
      }
      link.upstream.write(message);
    }
  }

  private drop(link: Link): void {
    if (!this.links.delete(link)) return;
    link.client.destroy();
    link.upstream.destroy();
  }
}
