import http from 'node:http';

export interface Page {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The redirect target, for 3xx. */
  location?: string;
  text: string;
  ms: number;
}

export interface WebClientOptions {
  /**
   * The connection pool: a keep-alive agent (as browsers and reverse proxies hold connections) or
   * `false` for a new connection per request. Default: a keep-alive agent of this client's own.
   */
  agent?: http.Agent | false;
  timeoutMs?: number;
}

/** The first hidden `_csrf` field of a page. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('no _csrf field on the page');
  return match[1];
}

/** What one visitor holds, whichever instance they talk to: cookies and the session's CSRF token. */
interface VisitorState {
  jar: Map<string, string>;
  csrfToken?: string;
}

/**
 * A browser reduced to what the tests need: a cookie jar (one `Cookie` header it manages) and the
 * shop's forms with their CSRF token. Built on node:http, so it can send any header and body, and
 * point at any instance: `at(url)` gives a client for another instance with the same cookies.
 */
export class WebClient {
  private readonly agent: http.Agent | false;
  private readonly timeoutMs: number;

  constructor(
    readonly baseUrl: string,
    { agent, timeoutMs = 30_000 }: WebClientOptions = {},
    private readonly state: VisitorState = { jar: new Map() },
  ) {
    this.agent = agent ?? new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.timeoutMs = timeoutMs;
  }

  /** The same visitor (the same cookies and token, kept in step) on another instance. */
  at(baseUrl: string, options: WebClientOptions = {}): WebClient {
    return new WebClient(baseUrl, { agent: options.agent ?? this.agent, timeoutMs: this.timeoutMs }, this.state);
  }

  /** The session's CSRF token, once a page showed one. */
  get csrfToken(): string | undefined {
    return this.state.csrfToken;
  }

  set csrfToken(token: string | undefined) {
    this.state.csrfToken = token;
  }

  private get jar(): Map<string, string> {
    return this.state.jar;
  }

  get cookieHeader(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** Replaces the jar's contents with a saved `Cookie` header value. */
  set cookieHeader(header: string) {
    this.jar.clear();
    for (const pair of header.split(/;\s*/).filter(Boolean)) {
      const eq = pair.indexOf('=');
      this.jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  async get(path: string, headers: http.OutgoingHttpHeaders = {}): Promise<Page> {
    return this.request('GET', path, { headers });
  }

  /** Posts a form (URL-encoded); `_csrf` is added from the session's token unless given. */
  async post(path: string, fields: Record<string, string> = {}, headers: http.OutgoingHttpHeaders = {}) {
    const body = new URLSearchParams({ ...(this.csrfToken ? { _csrf: this.csrfToken } : {}), ...fields });
    return this.request('POST', path, {
      body: body.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    });
  }

  /** Fetches a page to learn the session's CSRF token (creating the session if need be). */
  async refreshCsrf(path = '/login'): Promise<string> {
    const page = await this.get(path);
    if (page.status !== 200) throw new Error(`GET ${path} answered ${page.status}`);
    this.csrfToken = csrfFrom(page.text);
    return this.csrfToken;
  }

  async request(
    method: string,
    path: string,
    { body, headers = {} }: { body?: string | Buffer; headers?: http.OutgoingHttpHeaders } = {},
  ): Promise<Page> {
    const url = new URL(path, this.baseUrl);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            accept: 'text/html',
            ...(this.jar.size > 0 ? { cookie: this.cookieHeader } : {}),
            ...headers,
          },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            this.remember(res.headers['set-cookie'] ?? []);
            const text = Buffer.concat(chunks).toString('utf8');
            const page: Page = {
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              ms: performance.now() - started,
            };
            if (res.headers.location) page.location = res.headers.location;
            const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
            if (token) this.csrfToken = token;
            resolve(page);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  private remember(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expired = attributes.some((attribute) => {
        const [key = '', val = ''] = attribute.split('=');
        if (/^max-age$/i.test(key)) return Number(val) <= 0;
        if (/^expires$/i.test(key)) return Date.parse(val) <= Date.now();
        return false;
      });
      if (expired || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }
}
