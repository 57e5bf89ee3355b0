// The export's pieces in process: RFC 4180 quoting with CSV-injection neutralised, the keyset
// paging (no action lost or repeated at a page boundary), the pull-driven stream (a page is read
// only when the reader asks), and the hash read from the last event once events carry one.
import { afterEach, describe, expect, it } from "vitest";
import { csvCell, csvRecord } from "@/lib/csv";
import { blockIp } from "@/lib/mdr/kinds/block-ip/block";
import { exportActions } from "@/lib/mdr/export-actions";
import { getActionDetail } from "@/lib/mdr/actions";
import { BlockIpRequest, ExportActionsQuery } from "@/lib/mdr/schemas";
import { type TestContext, testContext } from "../support/context";

describe("CSV cells (RFC 4180, OWASP CSV injection)", () => {
  it.each([
    ["plain", "plain"],
    ["", ""],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["line1\nline2", '"line1\nline2"'],
    ["line1\r\nline2", '"line1\r\nline2"'],
    ['"', '""""'],
    // A spreadsheet would run these: a leading quote makes them text, and they are quoted.
    ["=1+1", "\"'=1+1\""],
    ['=HYPERLINK("http://evil.example","x")', '"\'=HYPERLINK(""http://evil.example"",""x"")"'],
    ["+1", "\"'+1\""],
    ["-2+3+cmd|' /C calc'!A0", "\"'-2+3+cmd|' /C calc'!A0\""],
    ["@SUM(A1)", "\"'@SUM(A1)\""],
    ["\tx", "\"'\tx\""],
    ["\rx", "\"'\rx\""],
    // Only the start makes a formula.
    ["a=b", "a=b"],
    ["2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"],
  ])("%j -> %s", (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it("null and undefined are empty cells; booleans and numbers their text; a record ends in CRLF", () => {
    expect(csvRecord([null, undefined, true, false, 42, "x,y"])).toBe(',,true,false,42,"x,y"\r\n');
  });
});

let ctx: TestContext | undefined;
afterEach(() => {
  ctx?.db.$client.close();
  ctx = undefined;
});

/** `n` real blocks through the product's verb, a second apart; their ids, oldest first. */
async function blocks(c: TestContext, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    c.clock.advance(1000);
    const row = await blockIp({ ctx: c, input: BlockIpRequest.parse({ ip: `185.220.101.${i + 1}`, reason: `case ${i}` }) });
    ids.push(row.id);
  }
  c.clock.advance(1000);
  return ids;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

const ndjson = (text: string) => text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { id: string });

describe("exportActions", () => {
  it("pages by id: every action once, oldest first, across page boundaries", async () => {
    ctx = testContext();
    const ids = await blocks(ctx, 25);
    for (const pageSize of [7, 10, 25, 1000, 1]) {
      const text = await readAll(exportActions({ ctx, query: ExportActionsQuery.parse({}), pageSize }));
      expect(ndjson(text).map((a) => a.id), `page size ${pageSize}`).toEqual(ids);
    }
  });

  it("reads the next page only when the reader asks (backpressure): the log read later is the log as it is then", async () => {
    ctx = testContext();
    const ids = await blocks(ctx, 30);
    const stream = exportActions({ ctx, query: ExportActionsQuery.parse({}), pageSize: 10 });
    const reader = stream.getReader();
    const first = await reader.read();
    // Let the stream fill what it may ahead of the reader, then take the rest of the log away.
    await new Promise((r) => setTimeout(r, 50));
    ctx.db.$client.exec("PRAGMA foreign_keys = OFF; DELETE FROM action_events; DELETE FROM actions;");
    const chunks = [first.value!];
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    const got = ndjson(Buffer.concat(chunks).toString("utf8")).map((a) => a.id);
    // The page read and at most one read ahead (the queue's high-water mark), not all three.
    expect(got).toEqual(ids.slice(0, 20));
  });

  it("a line is the action's detail with the hash of its newest link in the audit chain", async () => {
    ctx = testContext();
    const [id] = await blocks(ctx, 1);
    const detail = getActionDetail(ctx, id!)!;
    const newest = ctx.db.$client
      .prepare("select lower(hex(hash)) as h from audit_chain where kind = 'action' and ref = ? order by seq desc limit 1")
      .get(id) as { h: string };
    const text = await new Response(exportActions({ ctx, query: ExportActionsQuery.parse({}) })).text();
    expect(JSON.parse(text.trim())).toEqual({ ...detail, hash: newest.h });
    expect(newest.h).toMatch(/^[0-9a-f]{64}$/);
  });
});
