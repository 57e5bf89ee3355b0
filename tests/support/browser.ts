// A browser for the API tests, as far as redirects and cookies go: a cookie jar (host, path,
// Secure, expiry) and redirects followed by hand so that each hop can be inspected.
import { parseSetCookie } from "cookie";

interface Stored {
  host: string;
  path: string;
  name: string;
  value: string;
  secure: boolean;
  expiresAt: number;
}

export interface Hop {
  url: string;
  status: number;
  location: string | null;
}

export class Browser {
  private cookies: Stored[] = [];

  /** One request: sends the jar's cookies for the URL, keeps the ones set, does not follow redirects. */
  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target);
    if (cookie) headers.set("cookie", cookie);
    const res = await fetch(target, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) this.store(target, line);
    return res;
  }

  /** Follows redirects from `url` (GETs) until an answer that is not one; every hop is returned. */
  async follow(url: string | URL, opts: { max?: number; rewrite?: (next: URL) => URL } = {}): Promise<{ hops: Hop[]; last: Response }> {
    const hops: Hop[] = [];
    let current = new URL(url);
    for (let i = 0; i < (opts.max ?? 15); i++) {
      const res = await this.fetch(current);
      const location = res.headers.get("location");
      hops.push({ url: current.href, status: res.status, location });
      if (res.status < 300 || res.status >= 400 || !location) return { hops, last: res };
      await res.arrayBuffer();
      const next = new URL(location, current);
      current = opts.rewrite ? opts.rewrite(next) : next;
    }
    throw new Error(`more than ${opts.max ?? 15} redirects:\n${hops.map((h) => `${h.status} ${h.url}`).join("\n")}`);
  }

  /** A cookie's value as the browser would send it to `url`. */
  cookie(url: string | URL, name: string): string | undefined {
    return this.matching(new URL(url)).find((c) => c.name === name)?.value;
  }

  private matching(url: URL): Stored[] {
    const now = Date.now();
    this.cookies = this.cookies.filter((c) => c.expiresAt > now);
    return this.cookies
      .filter((c) => c.host === url.host && (!c.secure || url.protocol === "https:"))
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`))
      .sort((a, b) => b.path.length - a.path.length);
  }

  private cookieHeader(url: URL): string {
    return this.matching(url)
      .map((c) => `${c.name}=${c.value}`)
      .join("; ");
  }

  private store(url: URL, line: string): void {
    const c = parseSetCookie(line);
    const path = c.path ?? defaultPath(url);
    const expiresAt =
      c.maxAge !== undefined ? Date.now() + c.maxAge * 1000 : c.expires !== undefined ? c.expires.getTime() : Infinity;
    this.cookies = this.cookies.filter((s) => !(s.host === url.host && s.path === path && s.name === c.name));
    if (expiresAt > Date.now()) {
      this.cookies.push({ host: url.host, path, name: c.name, value: c.value ?? "", secure: c.secure === true, expiresAt });
    }
  }
}

function defaultPath(url: URL): string {
  const i = url.pathname.lastIndexOf("/");
  return i <= 0 ? "/" : url.pathname.slice(0, i);
}
