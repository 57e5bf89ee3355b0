// How a batch reaches a destination, and when it counts as delivered:
// - syslog over TCP or TLS has no acknowledgement (RFC 6587): a batch is delivered once it has
//   been written to a connection still open, the write has been flushed to the operating system,
//   and the connection has not been reset in the grace time after (SYSLOG_GRACE_MS). A receiver
//   that closes with our bytes unread, or gets them after it closed, answers with a reset, which
//   comes back within a round trip: that batch is sent again (at least once). A connection the
//   receiver closed cleanly (its FIN) is reopened before the next batch. What TCP cannot tell is
//   a receiver that read the bytes and then lost them itself, or a reset slower than the grace.
// - Splunk HEC answers each POST: a batch is delivered when it answers 200 {"text":"Success","code":0}.
//   (That means received by HEC; indexer acknowledgement, useACK, is not used.)
// Either way a batch is sent again until it is delivered, so a receiver whose answer was lost gets
// it twice: each event carries its record id (`action_event:12`) to dedupe on.
import net from "node:net";
import tls from "node:tls";
import type { SiemConfig } from "@/lib/config";

/** How long a connection, a write or a POST may take before the attempt counts as failed. */
const IO_TIMEOUT_MS = 15_000;
/** How long after a flushed write a reset still means the receiver did not take the batch. */
const SYSLOG_GRACE_MS = 200;

export interface Transport {
  /** Delivers the batch (resolves) or fails (rejects with a message fit for /status: no secret). */
  send(items: string[]): Promise<void>;
  close(): void;
}

export class SyslogTransport implements Transport {
  private socket: net.Socket | undefined;

  constructor(private readonly cfg: NonNullable<SiemConfig["syslog"]>) {}

  async send(messages: string[]): Promise<void> {
    const socket = await this.connected();
    const bytes = Buffer.concat(messages.map((m) => Buffer.from(m, "utf8")));
    let reset: Error | undefined;
    const onError = (err: Error) => (reset ??= err);
    socket.on("error", onError);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error(`syslog write to ${this.cfg.url} took over ${IO_TIMEOUT_MS / 1000} s`));
        }, IO_TIMEOUT_MS);
        socket.write(bytes, (err) => {
          clearTimeout(timer);
          if (err) reject(new Error(`syslog write to ${this.cfg.url} failed: ${err.message}`));
          else resolve();
        });
      });
      await new Promise((resolve) => setTimeout(resolve, SYSLOG_GRACE_MS));
      if (reset) throw new Error(`syslog connection to ${this.cfg.url} was reset after the write: ${reset.message}`);
    } finally {
      socket.off("error", onError);
    }
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  /** The open connection, or a new one (the receiver closed the last, or none yet). */
  private connected(): Promise<net.Socket> {
    const current = this.socket;
    if (current && current.writable && !current.destroyed && !current.readableEnded) return Promise.resolve(current);
    this.close();
    const { protocol, host, port, ca, url } = this.cfg;
    return new Promise((resolve, reject) => {
      const socket =
        protocol === "tls"
          ? tls.connect({ host, port, ca, servername: net.isIP(host) ? undefined : host })
          : net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`syslog connection to ${url} took over ${IO_TIMEOUT_MS / 1000} s`));
      }, IO_TIMEOUT_MS);
      socket.once(protocol === "tls" ? "secureConnect" : "connect", () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 30_000);
        this.socket = socket;
        resolve(socket);
      });
      socket.on("error", (err) => {
        clearTimeout(timer);
        socket.destroy();
        // Before the connection is made: the attempt fails. After: send() sees it (a reset).
        reject(new Error(`syslog connection to ${url} failed: ${err.message}`));
      });
      // A receiver does not talk back; what it sends is read and dropped, so its FIN is seen.
      socket.on("data", () => {});
      socket.on("end", () => socket.destroy());
    });
  }
}

export class HecTransport implements Transport {
  constructor(private readonly cfg: NonNullable<SiemConfig["hec"]>) {}

  async send(events: string[]): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.cfg.url, {
        method: "POST",
        headers: { authorization: `Splunk ${this.cfg.token}`, "content-type": "application/json" },
        body: events.join("\n"),
        signal: AbortSignal.timeout(IO_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`HEC ${this.cfg.url} unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text().catch(() => "");
    let body: { text?: unknown; code?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON: said below
    }
    if (res.status === 200 && body.code === 0) return;
    const said = typeof body.text === "string" ? `${body.text.slice(0, 200)} (code ${String(body.code)})` : "no HEC answer";
    throw new Error(`HEC ${this.cfg.url} answered ${res.status}: ${said}`);
  }

  close(): void {}
}
