// GET /api/v1/mdr/actions/export and `npm run mdr -- audit export` on a fresh production server in
// simulation with a known log: four actions made through the API (a block whose reason is a
// spreadsheet formula, a disable whose reason starts with @, an isolation that succeeds, an unknown
// host refused) and one action of another tenant written into the database as the pipeline writes
// rows (a reason spanning two lines). Whole bodies: each NDJSON line is what GET /actions/{id}
// answers plus its hash; each CSV record its cells. Filters match the list's; a scoped token sees
// only its tenants' lines; a bad query is a 422 naming the field; the CLI writes what the API does.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/lib/db/client";
import { insertActionEvent, insertPendingAction, updateActionState } from "@/lib/db/queries/actions";
import { newActionId } from "@/lib/mdr/actions";
import { ACTION_TYPES } from "@/lib/mdr/enums";
import { chainHash } from "../support/chain";
import { type TestServer, eventually, mintToken, startServer } from "../support/server";
import { type Json, TENANT, allActions, call, detail, expectProblem, invalidQuery, post, problem } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");
const run = promisify(execFile);
/** A customer tenant of the deployment other than the simulated one. */
const OTHER = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const FORMULA_REASON = '=HYPERLINK("http://evil.example","open"), see INC-7';
const AT_REASON = "@soc-lead asked, +1";
const TWO_LINES = "line one\nline two, \"quoted\"";

let server: TestServer;
const made: Record<string, string> = {};
/** Every action, oldest first, as GET /actions/{id} answers it (the admin of all tenants asking). */
let details: Json[] = [];

async function make(name: string, pathname: string, body: unknown, status: number): Promise<void> {
  const r = await post(server, pathname, body);
  expect(r.status, `${name}: ${JSON.stringify(r.body)}`).toBe(status);
  made[name] = r.body.id ?? r.body.action_id;
}

/** An action of tenant OTHER, written as the pipeline writes one: pending with its first event, then failed. */
function otherTenantAction(): string {
  const db = openDb(server.dbPath);
  try {
    const now = Date.now();
    const id = newActionId(now);
    const row = {
      id, type: "disable_user" as const, status: "pending" as const, target: "alex.wilber@fabrikam.com", tenantId: OTHER,
      provider: "graph" as const, mode: "live" as const, parameters: { upn: "alex.wilber@fabrikam.com" }, reason: TWO_LINES,
      requestedBy: "user:fabrikam-soc", providerRef: null, result: null, error: null, active: false, createdAt: now,
      updatedAt: now, completedAt: null, expiresAt: null, reverts: null, revertedBy: null,
    };
    db.$client.transaction(() => {
      insertPendingAction(db, row);
      insertActionEvent(db, { actionId: id, at: now, status: "pending", message: "Recorded; calling Microsoft Graph" });
      updateActionState(db, { id, status: "failed", updatedAt: now + 5, completedAt: now + 5, providerRef: null, active: false, error: "-1 day, =cmd", result: null });
      insertActionEvent(db, { actionId: id, at: now + 5, status: "failed", message: "Graph answered 403" });
    })();
    return id;
  } finally {
    db.$client.close();
  }
}

beforeAll(async () => {
  server = await startServer({}, "export");
  await make("block", "/api/v1/mdr/block-ip", { ip: "185.220.101.34", reason: FORMULA_REASON }, 201);
  await make("disable", "/api/v1/mdr/disable-user", { upn: "alice@contoso.com", reason: AT_REASON }, 201);
  await make("isolate", "/api/v1/mdr/isolate", { hostname: "ws-0142" }, 202);
  await make("unknown", "/api/v1/mdr/isolate", { hostname: "nope-host" }, 404);
  made.other = otherTenantAction();
  await eventually(async () => ((await detail(server, made.isolate!)).status === "succeeded" ? true : undefined), 15_000, "the isolation to succeed");
  details = await Promise.all(Object.values(made).map((id) => detail(server, id)));
});

afterAll(async () => {
  await server?.stop();
});

/** A GET of the export as raw text, with the test server's admin token or another. */
async function exportText(query: string, token?: string) {
  const res = await server.fetch(`/api/v1/mdr/actions/export${query}`, token ? { headers: { authorization: `Bearer ${token}` } } : undefined);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const lines = (text: string): Json[] => text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
/** An exported action: its detail, and the hash of its newest link in the server's audit chain. */
const hashed = (d: Json) => ({ ...d, hash: chainHash(server.dbPath, "action", d.id) });
/** An exported security event: as GET /admin/audit gives it, and its link's hash. */
const hashedEvent = (e: Json) => ({ ...e, hash: chainHash(server.dbPath, "audit", e.id) });
const byName = (...names: string[]) => details.filter((d) => names.map((n) => made[n]).includes(d.id)).map(hashed);

/** RFC 4180, read back: records of cells (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let cells: string[] = [];
  let cell = "";
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      // A quoted cell: to the quote that is not doubled.
      for (i++; !(text[i] === '"' && text[i + 1] !== '"'); i++) {
        if (text[i] === '"') i++;
        cell += text[i];
      }
      i++;
    } else if (text[i] === ",") {
      cells.push(cell);
      cell = "";
      i++;
    } else if (text.startsWith("\r\n", i)) {
      cells.push(cell);
      records.push(cells);
      cells = [];
      cell = "";
      i += 2;
    } else {
      cell += text[i++];
    }
  }
  expect(cells, "the last record ends in CRLF").toEqual([]);
  return records;
}

const COLUMNS = [
  "id", "type", "status", "target", "tenant_id", "provider", "mode", "reason", "requested_by", "provider_ref", "error", "active",
  "created_at", "updated_at", "completed_at", "expires_at", "reverts", "reverted_by", "parameters", "result", "timeline", "hash",
];

/** What a spreadsheet shows for a value: text, JSON for structure, empty for null; a formula made text. */
function shown(v: unknown): string {
  const text = v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

describe("GET /api/v1/mdr/actions/export", () => {
  it("NDJSON (the default): one line per action, oldest first, each what GET /actions/{id} answers and its hash", async () => {
    const r = await exportText("");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    expect(r.headers.get("content-disposition")).toMatch(/^attachment; filename="mdr-actions-\d{8}T\d{6}Z\.ndjson"$/);
    expect(r.headers.get("cache-control")).toBe("no-store");
    expect(r.text.endsWith("\n")).toBe(true);
    expect(lines(r.text)).toEqual(details.map(hashed));
    expect(lines(r.text).map((l) => [l.type, l.status, l.target, l.tenant_id, l.reason, l.timeline.length > 0])).toEqual([
      ["block_ip", "succeeded", "185.220.101.34", TENANT, FORMULA_REASON, true],
      ["disable_user", "succeeded", "alice@contoso.com", TENANT, AT_REASON, true],
      ["isolate_endpoint", "succeeded", "ws-0142", TENANT, null, true],
      ["isolate_endpoint", "rejected", "nope-host", TENANT, null, true],
      ["disable_user", "failed", "alex.wilber@fabrikam.com", OTHER, TWO_LINES, true],
    ]);
    // The text itself: the line of the other tenant's action is the JSON of its detail, key order included.
    expect(r.text.split("\n")[4]).toBe(JSON.stringify(hashed(details[4])));
  });

  it("CSV: a header, then one RFC 4180 record per action, CRLF; formulas neutralised, line breaks quoted", async () => {
    const r = await exportText("?format=csv");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(r.headers.get("content-disposition")).toMatch(/^attachment; filename="mdr-actions-\d{8}T\d{6}Z\.csv"$/);
    expect(r.text.startsWith(`${COLUMNS.join(",")}\r\n`)).toBe(true);
    expect(parseCsv(r.text)).toEqual([COLUMNS, ...details.map((d) => COLUMNS.map((c) => shown(hashed(d)[c])))]);
    // As written: quotes doubled, the formula behind a quote mark, the line break inside quotes.
    expect(r.text).toContain(`,"'=HYPERLINK(""http://evil.example"",""open""), see INC-7",`);
    expect(r.text).toContain(`,"'@soc-lead asked, +1",`);
    expect(r.text).toContain(`,"line one\nline two, ""quoted""",user:fabrikam-soc,,"'-1 day, =cmd",false,`);
  });

  it.each([
    ["type=isolate_endpoint", ["isolate", "unknown"]],
    ["status=rejected", ["unknown"]],
    ["target=ws-0142", ["isolate"]],
    [`tenant_id=${OTHER}`, ["other"]],
    ["type=disable_user&status=succeeded", ["disable"]],
  ])("filters like the list: %s", async (query, names) => {
    const r = await exportText(`?${query}`);
    expect(lines(r.text)).toEqual(byName(...names));
    expect(lines(r.text).map((l) => l.id)).toEqual((await allActions(server, query)).map((a) => a.id).reverse());
  });

  it("since and until: the actions made in the window, both ends included; the same as the list", async () => {
    const since = details[1].created_at;
    const until = details[3].created_at;
    const query = `since=${since}&until=${until}`;
    const r = await exportText(`?${query}&format=ndjson`);
    expect(lines(r.text)).toEqual(byName("disable", "isolate", "unknown"));
    expect(lines(r.text).map((l) => l.id)).toEqual((await allActions(server, query)).map((a) => a.id).reverse());
    const future = await exportText(`?since=${new Date(Date.now() + 3_600_000).toISOString()}&format=csv`);
    expect(future).toMatchObject({ status: 200, text: `${COLUMNS.join(",")}\r\n` });
  });

  it("a scoped token sees only its tenants' lines; a tenant filter outside them finds nothing", async () => {
    const contoso = mintToken(server.dbPath, "export-contoso", "viewer", undefined, [TENANT]);
    const fabrikam = mintToken(server.dbPath, "export-fabrikam", "viewer", undefined, [OTHER]);
    expect(lines((await exportText("", contoso)).text)).toEqual(byName("block", "disable", "isolate", "unknown"));
    expect(lines((await exportText("", fabrikam)).text)).toEqual(byName("other"));
    expect(await exportText(`?tenant_id=${OTHER}`, contoso)).toMatchObject({ status: 200, text: "" });
    expect(await exportText(`?tenant_id=${OTHER}&format=csv`, contoso)).toMatchObject({ status: 200, text: `${COLUMNS.join(",")}\r\n` });
    const csv = parseCsv((await exportText("?format=csv", fabrikam)).text);
    expect(csv.map((rec) => rec[0])).toEqual(["id", made.other]);
  });

  it.each([
    ["format=xml", invalidQuery("format", 'Invalid option: expected one of "ndjson"|"csv"')],
    ["since=yesterday", invalidQuery("since", "must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z")],
    ["limit=5", invalidQuery("limit", "is not a known field")],
    ["cursor=act_01JA0000000000000000000000", invalidQuery("cursor", "is not a known field")],
    ["type=reboot", invalidQuery("type", `Invalid option: expected one of ${ACTION_TYPES.map((t) => `"${t}"`).join("|")}`)],
    ["since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", invalidQuery("until", "must not be before since")],
    [
      "format=csv&format=ndjson",
      problem("validation-failed", "The request query is invalid: format: is given more than once", {
        errors: [{ path: "format", message: "is given more than once" }],
      }),
    ],
  ])("a bad query (%s): 422 naming the field", async (query, expected) => {
    expectProblem(await call(server, `/api/v1/mdr/actions/export?${query}`), expected);
  });
});

describe("npm run mdr -- audit export", () => {
  const cli = (args: string[]) =>
    run("npm", ["run", "-s", "mdr", "--", "audit", "export", ...args], {
      cwd: ROOT,
      env: { ...process.env, MDR_DB_PATH: server.dbPath },
      maxBuffer: 64 * 2 ** 20,
    });

  it("writes to stdout what the API answers for the same filter, and to --out the same CSV", async () => {
    const { stdout } = await cli(["--type", "isolate_endpoint"]);
    expect(stdout).toBe((await exportText("?type=isolate_endpoint")).text);
    expect(lines(stdout)).toEqual(byName("isolate", "unknown"));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mdr-export-"));
    try {
      const out = path.join(dir, "actions.csv");
      const since = details[1].created_at;
      const r = await cli(["--format", "csv", "--since", since, "--out", out]);
      expect(r.stdout).toBe("");
      expect(fs.readFileSync(out, "utf8")).toBe((await exportText(`?format=csv&since=${since}`)).text);
      expect(parseCsv(fs.readFileSync(out, "utf8"))).toHaveLength(1 + 4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a bad option: exit 1 naming it, nothing written to stdout", async () => {
    const err = (await cli(["--format", "xml"]).then(() => undefined, (e: unknown) => e)) as { code: number; stdout: string; stderr: string };
    expect({ code: err.code, stdout: err.stdout, stderr: err.stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr: 'error: format: Invalid option: expected one of "ndjson"|"csv"\n',
    });
  });
});

describe("GET /api/v1/admin/audit/export", () => {
  const AUDIT_COLUMNS = ["id", "at", "event", "actor", "subject", "ip", "detail", "hash"];

  /** The security audit log as GET /admin/audit pages it, oldest first. */
  async function auditEvents(query = ""): Promise<Json[]> {
    const out: Json[] = [];
    let cursor: string | null = null;
    do {
      const r = await call(server, `/api/v1/admin/audit?limit=200${query}${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      out.push(...r.body.events);
      cursor = r.body.next_cursor;
    } while (cursor);
    return out.reverse();
  }

  async function auditExport(query: string, token?: string) {
    const res = await server.fetch(`/api/v1/admin/audit/export${query}`, token ? { headers: { authorization: `Bearer ${token}` } } : undefined);
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  it("NDJSON: every event, oldest first, as GET /admin/audit gives it, with its hash", async () => {
    mintToken(server.dbPath, "export-audit-probe", "viewer");
    const r = await auditExport("");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    expect(r.headers.get("content-disposition")).toMatch(/^attachment; filename="mdr-security-audit-\d{8}T\d{6}Z\.ndjson"$/);
    const events = await auditEvents();
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(lines(r.text)).toEqual(events.map(hashedEvent));
    expect(lines(r.text).at(-1)).toMatchObject({ event: "token_created", actor: "cli", detail: expect.objectContaining({ name: "export-audit-probe" }) });
  });

  it("filters by event and time; CSV has a record per event", async () => {
    const created = await auditEvents("&event=token_created");
    expect(lines((await auditExport("?event=token_created")).text)).toEqual(created.map(hashedEvent));
    const since = created[1].at;
    const window = lines((await auditExport(`?event=token_created&since=${since}&until=${created[1].at}`)).text);
    expect(window.map((e) => e.id)).toEqual(created.filter((e) => e.at === since).map((e) => e.id));
    const csv = await auditExport("?format=csv&event=token_created");
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(parseCsv(csv.text)).toEqual([
      AUDIT_COLUMNS,
      ...created.map((e) => AUDIT_COLUMNS.map((c) => shown(hashedEvent(e)[c]))),
    ]);
  });

  it("an admin of some tenants: 403, the security audit log concerns every tenant; a bad query: 422 naming the field", async () => {
    const scopedAdmin = mintToken(server.dbPath, "export-contoso-admin", "admin", undefined, [TENANT]);
    const r = await call(server, "/api/v1/admin/audit/export", { headers: { authorization: `Bearer ${scopedAdmin}` } });
    expectProblem(
      r,
      problem("forbidden", `The security audit log concerns every tenant: it needs a caller of all tenants; token:export-contoso-admin has ${TENANT}.`),
    );
    expectProblem(await call(server, "/api/v1/admin/audit/export?limit=5"), invalidQuery("limit", "is not a known field"));
    expectProblem(await call(server, "/api/v1/admin/audit/export?since=now"), invalidQuery("since", "must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z"));
  });
});
