// Every curl example of README.md, read from the README at test time and run as written, in order,
// with the real curl (and jq, which the examples use to keep an action's id) through bash, against
// a fresh production server in simulation mode. The README's own variables are used as it defines
// them: the API tokens come from its command line block (`export MDR_TOKEN=$(npm run -s mdr --
// tokens create ...)`, on the server's database), `API` is the README's value with the server's
// origin in place of http://localhost:3000, and the rest (`AUTH`, `ISOLATION=$(curl ...)`, ...) is
// the README's shell text, so an example that loses its Authorization header, names a host, user
// or message the simulated tenant lacks, or refers to an id no earlier example kept fails here.
//
// One rule stands in for the analyst's patience: an example that names a kept action (`$ISOLATION`)
// runs once that action has settled (no longer pending or in progress), as the README's "the row
// follows it to succeeded by itself" tells the reader to wait.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SIM_DEVICES, SIM_PHISHING_MESSAGE } from "@/lib/mdr/providers/simulation";
import { type TestServer, eventually, startServer } from "../support/server";
import { ACTION_ID, type Json, allActions, detail, get } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const run = promisify(execFile);

/** What each curl example of the README answers, in README order: a piece of its text, and the HTTP status. */
const EXPECTED: readonly (readonly [snippet: string, status: number])[] = [
  ['"hostname": "ws-0142", "isolation_type": "Selective"', 202],
  ['-d \'{"hostname": "ws-finance-07"}\'', 409], // the short name of two devices: the candidates
  ['"machine_id": "577bb136dbdc9997c1472e8957f67d7a224db109"', 202],
  ['"ip": "185.220.101.34", "reason"', 201],
  ['"firewall_type": "azure_nsg"', 201],
  ['"firewall_type": "aws_sg"', 201],
  ['"firewall_type": "aws_waf"', 201],
  ["/mdr/disable-user", 201],
  ["/mdr/quarantine-email", 201],
  ['"ips": [', 207],
  ["$API/mdr/bulk/$BULK", 200],
  ["-X PATCH $API/mdr/actions/$BLOCK", 200],
  ["$API/mdr/actions/$ISOLATION/revert", 202],
  ['"$API/mdr/actions?type=block_ip&status=succeeded&limit=20"', 200],
  ["CURSOR=$(curl", 200],
  ["&cursor=$CURSOR", 200],
  ["$API/mdr/actions/$ISOLATION", 200],
  ['"$API/mdr/actions/export?type=block_ip', 200],
  ["$API/mdr/status", 200],
  ['"$API/mdr/metrics?hours=24"', 200],
  ["$API/openapi.json", 200],
  ["$API/mdr/protected-assets", 201],
  ["$API/admin/tokens", 201],
  ['"$API/admin/audit?event=sign_in_failed"', 200],
  ['"$API/admin/audit/export?format=csv', 200],
];

/** The origin of the README's `API=` line, replaced by the test server's. */
const README_ORIGIN = "http://localhost:3000";

interface Command {
  /** The command as the README writes it (continuation lines included). */
  text: string;
  /** Its first line's number in README.md. */
  line: number;
}

/** The ```sh blocks of the README with the `##` heading each stands under. */
function shBlocks(md: string): { heading: string; line: number; body: string[] }[] {
  const out: { heading: string; line: number; body: string[] }[] = [];
  const lines = md.split("\n");
  let heading = "";
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^#{1,6} /.test(l)) heading = l.replace(/^#+ /, "");
    if (!/^```(sh|bash|shell)\s*$/.test(l)) continue;
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) body.push(lines[i]!);
    out.push({ heading, line: start + 1, body });
  }
  return out;
}

/**
 * The commands of a block: a line ending in `\` goes on with the next, and so does one that leaves
 * a quote open (the quarantine example's JSON spans two lines); whole-line comments and blank lines
 * are left out (bash reads a comment after a command itself).
 */
function commands(block: { line: number; body: string[] }): Command[] {
  const out: Command[] = [];
  let text = "";
  let first = 0;
  let quote: "'" | '"' | null = null;
  block.body.forEach((l, i) => {
    if (text === "" && (l.trim() === "" || l.trim().startsWith("#"))) return;
    if (text === "") first = block.line + i;
    text += (text ? "\n" : "") + l;
    for (let j = 0; j < l.length; j++) {
      const c = l[j]!;
      if (quote === "'") {
        if (c === "'") quote = null;
      } else if (c === "\\") j++;
      else if (quote === '"') {
        if (c === '"') quote = null;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === "#" && (j === 0 || /\s/.test(l[j - 1]!))) break; // a comment to the end of the line
    }
    if (quote === null && !l.endsWith("\\")) {
      out.push({ text, line: first });
      text = "";
    }
  });
  if (text !== "") throw new Error(`README.md line ${first}: a command left unfinished:\n${text}`);
  return out;
}

const blocks = shBlocks(README);
const apiBlocks = blocks.filter((b) => b.heading === "Use the API");
/** The token lines of the command line block, run as written on the server's database. */
const tokenLines = blocks
  .flatMap(commands)
  .filter((c) => /^export MDR_\w*TOKEN=\$\(npm run -s mdr -- tokens create .+\)$/.test(c.text));
/** The API block in order, then any curl line of another block. */
const examples: Command[] = [
  ...apiBlocks.flatMap(commands),
  ...blocks.filter((b) => b.heading !== "Use the API").flatMap(commands).filter((c) => /\bcurl\s/.test(c.text)),
];
const curlExamples = examples.filter((c) => /\bcurl\s/.test(c.text));

let server: TestServer;
let work: string;
/** The shell variables the commands left, as `export -p` wrote them; each command starts from them. */
let stateFile: string;

/** Runs one README command in bash with the variables earlier ones left; the status of each curl call. */
async function shell(text: string, env: Record<string, string> = {}) {
  const script = `set -a\n. "$README_STATE"\n${text}\nrc=$?\nexport -p > "$README_STATE"\nexit $rc\n`;
  try {
    const { stdout, stderr } = await run("bash", ["-c", script], {
      cwd: ROOT,
      timeout: 60_000,
      env: { ...process.env, README_STATE: stateFile, CURL_HOME: work, ...env },
    });
    return { code: 0, stdout, stderr, statuses: statusesOf(stderr) };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? "", stderr: err.stderr ?? err.message, statuses: statusesOf(err.stderr ?? "") };
  }
}

const STATUS_LINE = /^readme-example-status: (\d{3})$/gm;
const statusesOf = (stderr: string) => [...stderr.matchAll(STATUS_LINE)].map((m) => Number(m[1]));

/** A variable the commands left (`declare -x NAME="value"`), or undefined. */
function variable(name: string): string | undefined {
  const m = new RegExp(`^declare -x ${name}="(.*)"$`, "m").exec(fs.readFileSync(stateFile, "utf8"));
  return m?.[1];
}

beforeAll(async () => {
  for (const tool of ["curl", "jq"]) {
    const found = await run("bash", ["-c", `command -v ${tool}`]).catch(() => undefined);
    expect(found?.stdout.trim(), `${tool} is needed by the README's examples (apt-get install -y ${tool})`).toMatch(/\//);
  }
  work = fs.mkdtempSync(path.join(os.tmpdir(), "mdr-readme-"));
  stateFile = path.join(work, "state.sh");
  fs.writeFileSync(stateFile, "");
  // Every curl call of an example writes its HTTP status to stderr, whatever the example does with
  // its stdout (`| jq -r .id`): curl reads $CURL_HOME/.curlrc first; the examples' text is untouched.
  fs.writeFileSync(path.join(work, ".curlrc"), 'write-out = "%{stderr}readme-example-status: %{http_code}\\n"\n');
  server = await startServer({}, "readme-examples");
});

afterAll(async () => {
  await server?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

it("the README has its examples where this test reads them, and a status for each curl example", () => {
  expect(apiBlocks).toHaveLength(1);
  expect(tokenLines.map((c) => c.text.replace(/ tokens create (\S+).*/, " $1"))).toEqual([
    "export MDR_TOKEN=$(npm run -s mdr -- soar-playbook",
    "export MDR_ADMIN_TOKEN=$(npm run -s mdr -- soc-admin",
  ]);
  expect(examples[0]!.text).toBe(`API=${README_ORIGIN}/api/v1`);
  expect(
    curlExamples.map((c) => c.text),
    "one line of EXPECTED per curl example, in README order",
  ).toHaveLength(EXPECTED.length);
  curlExamples.forEach((c, i) => expect(c.text, `README.md line ${c.line}: expected ${EXPECTED[i]![0]}`).toContain(EXPECTED[i]![0]));
});

it(
  "every curl example of the README runs as written and answers its status",
  async () => {
    for (const t of tokenLines) {
      const r = await shell(t.text, { MDR_DB_PATH: server.dbPath });
      expect(r.code, `README.md line ${t.line}: ${t.text}\n${r.stderr}`).toBe(0);
    }
    for (const name of ["MDR_TOKEN", "MDR_ADMIN_TOKEN"]) expect(variable(name), name).toMatch(/^mdr_\S+$/);

    let curls = 0;
    const answers: Record<string, string> = {};
    for (const ex of examples) {
      const text = ex.text.startsWith("API=") ? ex.text.replace(README_ORIGIN, server.url) : ex.text;
      // An example naming a kept action waits until that action has settled.
      for (const [, name] of text.matchAll(/\$\{?(\w+)/g)) {
        const id = variable(name!);
        if (id && ACTION_ID.test(id)) {
          await eventually(
            async () => (["pending", "in_progress"].includes((await detail(server, id)).status) ? undefined : true),
            20_000,
            `${name} (${id}) to settle before README.md line ${ex.line}`,
          );
        }
      }
      const r = await shell(text);
      const where = `README.md line ${ex.line}:\n${ex.text}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
      expect(r.code, where).toBe(0);
      if (/\bcurl\s/.test(ex.text)) {
        expect(r.statuses, where).toEqual([EXPECTED[curls]![1]]);
        answers[EXPECTED[curls]![0]] = r.stdout;
        curls++;
      } else expect(r.statuses, where).toEqual([]);
      // A variable an example keeps from an answer (`ISOLATION=$(curl ... | jq -r .id)`) holds a value.
      for (const [, name] of ex.text.matchAll(/^(\w+)=\$\(curl/gm)) expect(variable(name!), `${name}, ${where}`).toMatch(/^(act|blk)_/);
    }
    expect(curls).toBe(EXPECTED.length);

    // The ambiguous short name offers the device the next example picks by machine_id.
    const ambiguous: Json = JSON.parse(answers[EXPECTED[1]![0]]!);
    const picked = SIM_DEVICES.find((d) => d.id === "577bb136dbdc9997c1472e8957f67d7a224db109")!;
    expect(picked.computerDnsName.split(".")[0]).toBe("ws-finance-07");
    expect(ambiguous.candidates.map((c: Json) => c.id)).toContain(picked.id);

    // What the examples did, as the audit log says once every action has settled, oldest first.
    const rows = await eventually(async () => {
      const all = await allActions(server);
      return all.some((a) => ["pending", "in_progress"].includes(a.status)) ? undefined : all.reverse();
    }, 20_000);
    const by = (who: string) => `token:${who}`;
    expect(rows.map((a) => [a.type, a.target, a.status, a.provider, a.active, a.requested_by])).toEqual([
      ["isolate_endpoint", "ws-0142", "succeeded", "defender", false, by("soar-playbook")],
      ["isolate_endpoint", "ws-finance-07", "rejected", "defender", false, by("soar-playbook")],
      ["isolate_endpoint", "577bb136dbdc9997c1472e8957f67d7a224db109", "succeeded", "defender", true, by("soar-playbook")],
      ["block_ip", "185.220.101.34", "succeeded", "defender", true, by("soar-playbook")],
      ["block_ip", "45.155.205.0/24", "succeeded", "azure_nsg", true, by("soar-playbook")],
      ["block_ip", "2a0d:5600:24::/48", "succeeded", "aws_sg", true, by("soar-playbook")],
      ["block_ip", "193.142.146.20", "succeeded", "aws_waf", true, by("soar-playbook")],
      ["disable_user", "jdoe@contoso.com", "succeeded", "graph", true, by("soar-playbook")],
      ["quarantine_email", SIM_PHISHING_MESSAGE.internetMessageId, "succeeded", "graph", true, by("soar-playbook")],
      ["block_ip", "185.220.101.34", "rejected", "defender", false, by("soar-playbook")],
      ["block_ip", "185.220.101.35", "succeeded", "defender", true, by("soar-playbook")],
      ["block_ip", "45.155.205.7", "succeeded", "defender", true, by("soar-playbook")],
      ["change_expiry", "185.220.101.34", "succeeded", "defender", false, by("soar-playbook")],
      ["release_endpoint", "ws-0142", "succeeded", "defender", false, by("soar-playbook")],
    ]);
    // The block the PATCH example moved now ends when the README's NEXT_WEEK says.
    const block = await detail(server, variable("BLOCK")!);
    expect(Date.parse(block.expires_at)).toBe(Date.parse(variable("NEXT_WEEK")!));
    expect(block.target).toBe("185.220.101.34");
    expect(variable("ISOLATION")).toBe(rows[0].id);

    // The admin examples' effects: the protected UPN, and the token that ends with NEXT_WEEK.
    const assets = await get(server, "/api/v1/mdr/protected-assets");
    expect(assets.body.protected_assets.map((a: Json) => [a.kind, a.pattern, a.note, a.created_by])).toEqual([
      ["upn", "breakglass@contoso.com", "Break-glass account", by("soc-admin")],
    ]);
    const tokens = await get(server, "/api/v1/admin/tokens");
    const made = tokens.body.tokens.find((t: Json) => t.name === "sentinel-playbook");
    expect([made?.role, made?.created_by, Date.parse(made?.expires_at)]).toEqual([
      "responder",
      by("soc-admin"),
      Date.parse(variable("NEXT_WEEK")!),
    ]);
  },
  240_000,
);
