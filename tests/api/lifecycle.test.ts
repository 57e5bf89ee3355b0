// The action lifecycle in simulation: bulk requests (validated all or nothing, one action per
// target, 207 with each outcome, Idempotency-Key replaying the whole answer), the rate limiter on
// simulated calls (queued steps in the timeline, a wait beyond the bound refused with 503 and
// Retry-After), and duplicates found by another name.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestServer, startServer } from "../support/server";
import {
  type Json,
  anyActionId,
  call,
  countActions,
  detail,
  expectProblem,
  invalidBody,
  post,
  problem,
  steps,
} from "./helpers";

const ISOLATE = "/api/v1/mdr/isolate";
const BLOCK = "/api/v1/mdr/block-ip";
const DISABLE = "/api/v1/mdr/disable-user";

function serverFor(env: Record<string, string>, name: string): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startServer(env, name);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => server!;
}

describe("bulk: POST /block-ip with ips, POST /isolate with hostnames", () => {
  const server = serverFor({}, "bulk");

  it("one block per address: 207 with each target's action and answer, a duplicate refused on its own", async () => {
    const s = server();
    const held = (await post(s, BLOCK, { ip: "185.220.101.70" })).body;
    const r = await post(s, BLOCK, { ips: ["185.220.101.71", "185.220.101.70", "2A0B:F4C2::9"], reason: "campaign", duration_hours: 2 });
    expect(r.status, JSON.stringify(r.body)).toBe(207);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.headers.get("location")).toBe(`/api/v1/mdr/bulk/${r.body.bulk_id}`);
    const duplicate = `185.220.101.70 is already blocked on Defender for Endpoint (IP indicator) by ${held.id} until ${held.expires_at}; nothing was sent to the firewall (change its expiry with PATCH /api/v1/mdr/actions/${held.id})`;
    expect(r.body).toEqual({
      bulk_id: expect.stringMatching(/^blk_[0-9A-HJKMNP-TV-Z]{26}$/),
      results: [
        { target: "185.220.101.71", id: anyActionId(), status: "succeeded", http_status: 201 },
        {
          target: "185.220.101.70",
          id: anyActionId(),
          status: "rejected",
          http_status: 409,
          error: { type: "urn:mdr:problem:conflict", title: "Conflict", detail: duplicate, errors: [], holder_action_id: held.id },
        },
        { target: "2a0b:f4c2::9", id: anyActionId(), status: "succeeded", http_status: 201 },
      ],
    });
    const first = await detail(s, r.body.results[0].id);
    expect(first).toMatchObject({
      type: "block_ip",
      target: "185.220.101.71",
      reason: "campaign",
      active: true,
      parameters: { ip: "185.220.101.71", firewall_type: "defender", priority: null, duration_hours: 2, bulk_id: r.body.bulk_id },
    });
    expect(steps(first)).toEqual([
      ["queued", `Requested by token:tests; target 1 of 3 of bulk ${r.body.bulk_id}; queued`],
      ["succeeded", expect.stringMatching(/^Submitted 185\.220\.101\.71 to Defender for Endpoint/)],
    ]);
    expect((await detail(s, r.body.results[1].id)).status).toBe("rejected");
  });

  it("one isolation per host: an unknown host is its own 404, the others are accepted", async () => {
    const s = server();
    const r = await post(s, ISOLATE, { hostnames: ["ws-0142", "no-such-host", "srv-web-01"], isolation_type: "Selective" });
    expect(r.status, JSON.stringify(r.body)).toBe(207);
    expect(r.body.results).toEqual([
      { target: "ws-0142", id: anyActionId(), status: "in_progress", http_status: 202 },
      {
        target: "no-such-host",
        id: anyActionId(),
        status: "rejected",
        http_status: 404,
        error: {
          type: "urn:mdr:problem:not-found",
          title: "Not found",
          detail: "[Defender] No device named no-such-host is known to Defender for Endpoint",
          errors: [],
        },
      },
      { target: "srv-web-01", id: anyActionId(), status: "in_progress", http_status: 202 },
    ]);
    expect(r.body.bulk_id).toMatch(/^blk_/);
    expect((await detail(s, r.body.results[2].id)).parameters).toEqual({
      hostname: "srv-web-01",
      machine_id: null,
      isolation_type: "Selective",
      bulk_id: r.body.bulk_id,
    });
  });

  it.each([
    [BLOCK, { ips: ["185.220.101.72", "10.0.0.1"] }, "ips.1", "is a private address; Defender indicators block public addresses only"],
    [BLOCK, { ips: ["185.220.101.72", "not-an-ip"] }, "ips.1", "must be an IPv4 or IPv6 address, or a CIDR range like 198.51.100.0/24"],
    [BLOCK, { ips: ["185.220.101.72", "185.220.101.73", "185.220.101.072"] }, "ips.2", "must be an IPv4 or IPv6 address, or a CIDR range like 198.51.100.0/24"],
    [BLOCK, { ips: ["185.220.101.72", "185.220.101.72"] }, "ips.1", "repeats ips.0 (185.220.101.72); each target once"],
    [BLOCK, { ips: [] }, "ips", "must name at least one target"],
    [BLOCK, { ips: Array.from({ length: 501 }, (_, i) => `185.220.${Math.floor(i / 250)}.${(i % 250) + 1}`) }, "ips", "must name at most 500 targets; split the list"],
    [BLOCK, { ip: "185.220.101.72", ips: ["185.220.101.73"] }, "ips", "give either ip or ips, not both"],
    [BLOCK, { ips: ["185.220.101.72"], priority: 200 }, "priority", "is not a known field"],
    [ISOLATE, { hostnames: ["ws-0142", "WS-0142"] }, "hostnames.1", "repeats hostnames.0 (ws-0142); each target once"],
    [ISOLATE, { hostnames: ["ws-0142", "bad_name"] }, "hostnames.1", "must be a DNS name: letters, digits and hyphens in dot-separated labels of at most 63"],
    [ISOLATE, { hostname: "ws-0142", hostnames: ["ws-0143"] }, "hostnames", "give either hostname or hostnames, not both"],
  ])("%s %j: 422 naming the item, nothing run", async (path, body, field, message) => {
    const s = server();
    const before = await countActions(s);
    const r = await post(s, path, body);
    if (message.startsWith("give either")) {
      expectProblem(r, problem("validation-failed", `${field}: ${message}`, { errors: [{ path: field, message }] }));
    } else {
      expectProblem(r, invalidBody(field, message));
    }
    expect(await countActions(s)).toBe(before);
  });

  it("Idempotency-Key: the same bulk again replays the whole 207, nothing performed twice", async () => {
    const s = server();
    const body = { ips: ["198.51.100.80", "198.51.100.81"], firewall_type: "aws_sg" };
    const send = () =>
      call(s, BLOCK, {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": "bulk-key-1" },
        body: JSON.stringify(body),
      });
    const first = await send();
    expect(first.status).toBe(207);
    const count = await countActions(s);
    const again = await send();
    expect(again.status).toBe(207);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(await countActions(s)).toBe(count);
  });
});

describe("the rate limiter on simulated calls", () => {
  const server = serverFor(
    { MDR_RATE_LIMIT_DEFENDER: "3/1s", MDR_RATE_LIMIT_GRAPH: "2/10s", MDR_RATE_QUEUE_MAX_WAIT_MS: "3000" },
    "sim-rate",
  );

  it("a burst is queued, not failed: every block done, the held ones with a queued step", async () => {
    const s = server();
    const ips = Array.from({ length: 8 }, (_, i) => `185.220.103.${i + 1}`);
    const started = Date.now();
    const answers = await Promise.all(ips.map((ip) => post(s, BLOCK, { ip })));
    expect(answers.map((a) => a.status)).toEqual(ips.map(() => 201));
    // 8 calls at 3 a second: the last goes at 2 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    const details: Json[] = await Promise.all(answers.map((a) => detail(s, a.body.id)));
    const queued = details.filter((d) => steps(d).some(([, m]) => m.startsWith("Queued: ")));
    expect(queued.length).toBe(5);
    for (const d of queued) {
      expect(steps(d)).toEqual([
        ["pending", "Requested by token:tests"],
        ["pending", expect.stringMatching(/^Queued: (Defender allows 3 calls per 1 s per tenant here|earlier calls to Defender go first); the Defender call waits \d\.\d s for its turn$/)],
        ["succeeded", expect.stringMatching(/^Submitted .* to Defender for Endpoint \(IP indicator\) as a Block IP indicator /)],
      ]);
    }
  });

  it("a wait beyond the bound fails clearly: 503 with Retry-After, recorded failed, nothing sent", async () => {
    const s = server();
    // Two Graph calls (the user, the PATCH) use the two turns of the 10 s window.
    const first = await post(s, DISABLE, { upn: "carol@contoso.com", revoke_sessions: false });
    expect(first.status).toBe(201);
    const r = await post(s, DISABLE, { upn: "dave@contoso.com", revoke_sessions: false });
    const message = expect.stringMatching(
      /^\[Graph\] rate limit: Graph allows 2 calls per 10 s per tenant here; the next free turn is in \d+\.\d s, beyond the queue bound of 3\.0 s; nothing was sent$/,
    );
    expectProblem(r, { ...problem("provider-unavailable", "x"), detail: message, action_id: anyActionId(), action_status: "failed" });
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(3);
    const d = await detail(s, r.body.action_id);
    expect(d).toMatchObject({ status: "failed", active: false, error: r.body.detail });
  });
});
