/**
 * A cookie-keeping HTTP client for testing pages like a browser without one: it follows no
 * redirects (tests assert on them), remembers cookies, and fills in CSRF tokens for posts.
 */
import type { TestApp } from "./app.ts";

export class TestClient {
  readonly cookies = new Map<string, string>();
  private csrf = "";
  /** The client address this client claims through X-Forwarded-For (apps with TRUST_PROXY). */
  forwardedFor = "";

  constructor(
    readonly app: TestApp,
    readonly userAgent =
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
  ) {}

  /** A request with this client's cookies; stores the cookies the answer sets. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    headers.set("user-agent", this.userAgent);
    if (this.forwardedFor) headers.set("x-forwarded-for", this.forwardedFor);
    const res = await this.app.fetch(path, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /max-age=0/i.test(a.trim())) || value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** GET a page and remember the CSRF token of its first form. */
  async page(path: string): Promise<{ res: Response; html: string }> {
    const res = await this.fetch(path, { headers: { accept: "text/html" } });
    const html = await res.text();
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (m) this.csrf = m[1];
    return { res, html };
  }

  /** The CSRF token for the current cookies (loads a page that has a form when needed). */
  async csrfToken(): Promise<string> {
    // Signed out, /login has a form; signed in, it redirects and /account has one.
    if (!this.csrf) await this.page("/login");
    if (!this.csrf) await this.page("/account");
    return this.csrf;
  }

  /** Forgets the remembered token (call after the session cookie changes). */
  resetCsrf(): void {
    this.csrf = "";
  }

  /** POSTs a form with the CSRF token; the session cookie may change, so the token is refreshed. */
  async post(path: string, fields: Record<string, string> = {}): Promise<Response> {
    const body = new URLSearchParams({ _csrf: await this.csrfToken(), ...fields });
    const before = this.cookies.get("sextant_session");
    const res = await this.fetch(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html" },
      body,
    });
    if (this.cookies.get("sextant_session") !== before) this.csrf = "";
    return res;
  }

  /** Signs up through the form; answers the response (303 on success). */
  async signUp(email: string, password = "correct horse battery", name = ""): Promise<Response> {
    await this.page("/signup");
    const res = await this.post("/signup", { email, password, name });
    this.csrf = "";
    return res;
  }

  /** Signs in through the form. */
  async signIn(email: string, password = "correct horse battery"): Promise<Response> {
    this.csrf = "";
    await this.page("/login");
    const res = await this.post("/login", { email, password });
    this.csrf = "";
    return res;
  }
}

/** The most recent outbox link matching `pattern` sent to `to`. */
export async function latestMailLink(app: TestApp, to: string, pattern: RegExp): Promise<string> {
  const rows = await app.db.sql<{ text: string }[]>`
    select text from email_outbox where lower(to_address) = ${to.toLowerCase()}
    order by id desc`;
  for (const r of rows) {
    const m = r.text.match(pattern);
    if (m) return m[0];
  }
  throw new Error(`No mail to ${to} has a link matching ${pattern}`);
}
