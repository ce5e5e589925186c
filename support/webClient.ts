import http from 'node:http';
import { CookieJar } from 'tough-cookie';
import { csrfFrom, csrfIn } from './csrf';

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
  /** Headers sent with every request (e.g. the `X-Forwarded-Proto` a TLS proxy would add). */
  headers?: http.OutgoingHttpHeaders;
}

/** What one visitor holds, whichever instance they talk to: cookies and the session's CSRF token. */
interface VisitorState {
  jar: CookieJar;
  csrfToken?: string;
}

/**
 * A browser reduced to what tests, the load test and the benchmark need: a cookie jar
 * (tough-cookie: expiry, paths, `Secure` on loopback as browsers treat it) and the shop's forms
 * with their CSRF token. Built on node:http, so it can send any header and body, and point at any
 * instance: `at(url)` gives a client for another instance with the same cookies.
 */
export class WebClient {
  private readonly agent: http.Agent | false;
  private readonly timeoutMs: number;
  private readonly headers: http.OutgoingHttpHeaders;

  constructor(
    readonly baseUrl: string,
    { agent, timeoutMs = 30_000, headers = {} }: WebClientOptions = {},
    // Prefix rules (`__Host-`) are the server's to keep; the jar must also hold a replayed cookie.
    private readonly state: VisitorState = { jar: new CookieJar(undefined, { prefixSecurity: 'unsafe-disabled' }) },
  ) {
    this.agent = agent ?? new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.timeoutMs = timeoutMs;
    this.headers = headers;
  }

  /** The same visitor (the same cookies and token, kept in step) on another instance. */
  at(baseUrl: string, options: WebClientOptions = {}): WebClient {
    const { agent = this.agent, timeoutMs = this.timeoutMs, headers = this.headers } = options;
    return new WebClient(baseUrl, { agent, timeoutMs, headers }, this.state);
  }

  /** The session's CSRF token, once a page showed one. */
  get csrfToken(): string | undefined {
    return this.state.csrfToken;
  }

  set csrfToken(token: string | undefined) {
    this.state.csrfToken = token;
  }

  /** The `Cookie` header this client sends to its instance. */
  get cookieHeader(): string {
    return this.state.jar.getCookieStringSync(this.baseUrl);
  }

  /** Replaces the jar's contents with a saved `Cookie` header value (`a=1; b=2`). */
  set cookieHeader(header: string) {
    this.state.jar.removeAllCookiesSync();
    for (const pair of header.split(/;\s*/).filter(Boolean)) {
      this.state.jar.setCookieSync(`${pair}; Path=/`, this.baseUrl);
    }
  }

  cookie(name: string): string | undefined {
    return this.state.jar.getCookiesSync(this.baseUrl).find((cookie) => cookie.key === name)?.value;
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

  /**
   * Posts a form with files as a browser does (multipart/form-data, encoded by the platform's
   * FormData); `_csrf` comes first, from the session's token unless given.
   */
  async postMultipart(
    path: string,
    fields: Record<string, string> = {},
    files: { field?: string; filename: string; bytes: Buffer; contentType?: string }[] = [],
  ) {
    const form = new FormData();
    for (const [name, value] of Object.entries({ ...(this.csrfToken ? { _csrf: this.csrfToken } : {}), ...fields })) {
      form.append(name, value);
    }
    for (const { field = 'image', filename, bytes, contentType = 'application/octet-stream' } of files) {
      form.append(field, new Blob([new Uint8Array(bytes)], { type: contentType }), filename);
    }
    const encoded = new Response(form);
    const body = Buffer.from(await encoded.arrayBuffer());
    return this.request('POST', path, { body, headers: { 'content-type': encoded.headers.get('content-type') ?? '' } });
  }

  /** Fetches a page to learn the session's CSRF token (creating the session if need be); returns the page. */
  async refreshCsrf(path = '/login'): Promise<Page> {
    const page = await this.get(path);
    if (page.status !== 200) throw new Error(`GET ${path} answered ${page.status}`);
    this.csrfToken = csrfFrom(page.text);
    return page;
  }

  async request(
    method: string,
    path: string,
    { body, headers = {} }: { body?: string | Buffer; headers?: http.OutgoingHttpHeaders } = {},
  ): Promise<Page> {
    const url = new URL(path, this.baseUrl);
    const cookie = this.state.jar.getCookieStringSync(url.href);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        {
          method,
          agent: this.agent,
          headers: { accept: 'text/html', ...(cookie ? { cookie } : {}), ...this.headers, ...headers },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            for (const line of res.headers['set-cookie'] ?? []) {
              this.state.jar.setCookieSync(line, url.href, { ignoreError: true });
            }
            const text = Buffer.concat(chunks).toString('utf8');
            const page: Page = {
              status: res.statusCode ?? 0,
              headers: res.headers,
              text,
              ms: performance.now() - started,
            };
            if (res.headers.location) page.location = res.headers.location;
            this.csrfToken = csrfIn(text) ?? this.csrfToken;
            resolve(page);
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}
