// The layout's rules, read from the source: every database read and write goes through lib/db (no
// SQL builder, no SQLite-only SQL elsewhere), and dependencies point one way (lib/mdr -> lib/auth,
// never back; lib/mdr never -> lib/http; the page without the simulation's seed data; GET /metrics
// without the providers and their cloud SDKs). Imports are read with the TypeScript parser:
// static imports and re-exports, import() and require(); `import type` is erased at build time and
// counts only where a rule says so.
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { BLOCK_IP } from "@/lib/mdr/kinds/block-ip/meta";
import { DISABLE_USER } from "@/lib/mdr/kinds/disable-user/meta";
import { ISOLATE_ENDPOINT } from "@/lib/mdr/kinds/isolate-endpoint/meta";
import { QUARANTINE_EMAIL } from "@/lib/mdr/kinds/quarantine-email/meta";

const ROOT = path.resolve(__dirname, "../..");
const SCANNED = ["lib", "app", "components"];
const SOURCE = /\.(ts|tsx|mts)$/;

interface Import {
  /** What the file names: `@/lib/...`, `./x`, a package. */
  spec: string;
  /** The file it resolves to (relative to the root), or the package's name. */
  target: string;
  /** Erased by the compiler: loads nothing at run time. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(rel);
    return SOURCE.test(e.name) ? [rel] : [];
  });
}

const packageOf = (spec: string) => spec.split("/").slice(0, spec.startsWith("@") ? 2 : 1).join("/");

function resolve(from: string, spec: string): string {
  const base = spec.startsWith("@/") ? spec.slice(2) : spec.startsWith(".") ? path.posix.join(path.posix.dirname(from), spec) : null;
  if (base === null) return packageOf(spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`, `${base}/index.tsx`]) {
    if (fs.existsSync(path.join(ROOT, candidate)) && fs.statSync(path.join(ROOT, candidate)).isFile()) return candidate;
  }
  throw new Error(`${from}: cannot resolve ${spec}`);
}

const parsed = new Map<string, { text: string; imports: Import[] }>();

function read(file: string): { text: string; imports: Import[] } {
  const known = parsed.get(file);
  if (known) return known;
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith("x") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const imports: Import[] = [];
  const add = (spec: string, typeOnly: boolean) => imports.push({ spec, target: resolve(file, spec), typeOnly });
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const allTypes = !!clause && !clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier.text, !!clause && (clause.isTypeOnly || allTypes));
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      add(node.moduleSpecifier.text, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === "require")) &&
      node.arguments.length === 1 &&
      ts.isStringLiteralLike(node.arguments[0]!)
    ) {
      add((node.arguments[0] as ts.StringLiteralLike).text, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  const entry = { text, imports };
  parsed.set(file, entry);
  return entry;
}

/** Every project file `entry` loads at run time, itself included (packages as their names). */
function loads(entry: string): Set<string> {
  const seen = new Set<string>([entry]);
  const todo = [entry];
  while (todo.length > 0) {
    for (const i of read(todo.pop()!).imports) {
      if (i.typeOnly || seen.has(i.target)) continue;
      seen.add(i.target);
      if (SOURCE.test(i.target)) todo.push(i.target);
    }
  }
  return seen;
}

const files = SCANNED.flatMap(sourceFiles);
const under = (dir: string) => (file: string) => file === dir || file.startsWith(`${dir}/`);
const inDb = under("lib/db");

/** `file imports target` for every import of a scanned file that `bad` refuses. */
function violations(which: (file: string) => boolean, bad: (i: Import) => boolean): string[] {
  return files.filter(which).flatMap((f) => read(f).imports.filter(bad).map((i) => `${f} imports ${i.spec}`));
}

describe("the layout", () => {
  it("reads the import graph (so that the rules below have something to hold)", () => {
    expect(files.length).toBeGreaterThan(100);
    const targets = (file: string) => read(file).imports.map((i) => `${i.target}${i.typeOnly ? " (type)" : ""}`);
    expect(targets("lib/mdr/actions.ts")).toEqual(expect.arrayContaining(["lib/db/queries/actions.ts", "ulid", "lib/db/schema.ts (type)"]));
    expect(targets("lib/mdr/context.ts")).toContain("lib/mdr/providers/live/index.ts");
    expect(targets("lib/db/queries/actions.ts")).toContain("drizzle-orm");
    expect(loads("app/api/v1/mdr/isolate/route.ts")).toContain("@aws-sdk/client-ec2");
  });

  it("keeps the SQL builder, its tables and SQLite-only SQL inside lib/db", () => {
    const drizzle = violations((f) => !inDb(f), (i) => ["drizzle-orm", "better-sqlite3"].includes(packageOf(i.spec)));
    // Types of rows are fine; the tables are what queries are built from.
    const tables = violations((f) => !inDb(f), (i) => i.target === "lib/db/schema.ts" && !i.typeOnly);
    const sqlite = files
      .filter((f) => !inDb(f) && /\b(json_extract|instr)\s*\(/i.test(read(f).text))
      .map((f) => `${f} has SQLite-only SQL`);
    const builder = files
      .filter((f) => !inDb(f) && /\b(db|tx)\s*\.\s*(select|selectDistinct|insert|update|delete|transaction|values|query|\$client|\$count)\b/.test(read(f).text))
      .map((f) => `${f} uses the database's builder or driver`);
    expect([...drizzle, ...tables, ...sqlite, ...builder]).toEqual([]);
  });

  it("points dependencies one way: lib/db at the bottom, lib/mdr -> lib/auth, lib/mdr never -> lib/http", () => {
    const enums = new Set(["lib/mdr/enums.ts", "lib/auth/enums.ts"]);
    expect([
      ...violations(under("lib/auth"), (i) => under("lib/mdr")(i.target)),
      ...violations(under("lib/mdr"), (i) => under("lib/http")(i.target)),
      ...violations(inDb, (i) => ["lib/mdr", "lib/auth", "lib/http"].some((d) => under(d)(i.target)) && !enums.has(i.target)),
    ]).toEqual([]);
  });

  it("builds the page without the simulation's seed data, and GET /metrics without providers or cloud SDKs", () => {
    const page = (f: string) => under("app/mdr")(f) || under("components")(f);
    const simulation = under("lib/mdr/providers/simulation");
    const seedInClient = files.filter(under("components")).filter((f) => [...loads(f)].some(simulation));
    expect([...violations(page, (i) => simulation(i.target)), ...seedInClient]).toEqual([]);

    const metrics = [...loads("app/api/v1/mdr/metrics/route.ts")];
    const sdk = /^@(azure|aws-sdk|microsoft|smithy)\//;
    expect(metrics.filter((m) => sdk.test(m) || m === "lib/mdr/context.ts" || under("lib/mdr/providers/live")(m))).toEqual([]);
    expect(metrics).toContain("lib/db/queries/metrics.ts");
  });

  it("keeps each outside system's code in its folder, and the cloud SDKs out of a simulation and the page", () => {
    const sdk = /^@(azure|aws-sdk|microsoft|smithy)\//;
    // The simulated tenant, with the record of the systems it is assembled from, loads no cloud SDK:
    // the SDKs behind the live clients load in live mode only (lib/mdr/context.ts requires them then).
    const simulation = [...loads("lib/mdr/providers/simulation/index.ts")];
    expect(simulation).toContain("lib/mdr/providers/index.ts");
    expect(simulation.filter((m) => sdk.test(m) || /^lib\/mdr\/providers\/[^/]+\/(client|live)\.ts$/.test(m))).toEqual([]);
    expect(loads("lib/mdr/providers/live/index.ts")).toContain("@aws-sdk/client-ec2");
    // The page's client components read the systems' facts (names, firewall types), never their
    // clients or doubles, nor anything server-only.
    const page = files.filter((f) => /^\s*["']use client["']/.test(read(f).text));
    expect(page).toEqual(expect.arrayContaining(["components/mdr/service-health.tsx", "components/mdr/block-ip-card.tsx"]));
    const serverSide = /^lib\/mdr\/providers\/(index\.ts|live\/|simulation\/|[^/]+\/(client|live|simulated[^/]*|index)\.ts$)/;
    const loadedByPage = [...new Set(page.flatMap((f) => [...loads(f)]))];
    expect(loadedByPage).toContain("lib/mdr/providers/facts.ts");
    expect(loadedByPage.filter((m) => serverSide.test(m) || sdk.test(m) || m === "server-only")).toEqual([]);
  });

  it("names the outside systems in one record: no second list of services, providers or firewall types", () => {
    // The services, the audit log's provider names and the firewall types are derived from
    // SERVICE_FACTS (lib/mdr/providers/facts.ts); `aws_sg` (the service `aws`) is said in its facts only.
    const lists = files.filter((f) => /\b(const|let|var|function)\s+(PROVIDER_NAMES|SERVICE_OF|SERVICES|FIREWALL_TYPES)\b\s*[=:(]/.test(read(f).text));
    expect(lists).toEqual(["lib/mdr/providers/facts.ts", "lib/mdr/providers/index.ts"]);
    expect(read("lib/mdr/providers/facts.ts").text).not.toMatch(/\bconst\s+FIREWALL_TYPES\s*=\s*\[/);
    expect(files.filter((f) => /["']aws_sg["']/.test(read(f).text))).toEqual(["lib/mdr/providers/aws/facts.ts"]);
  });

  // (Whether an undo is still running is one query, findRunningUndo: nothing outside lib/db can ask another.)
  it("gives logic written once one home: machine action outcomes, the action comment", () => {
    // The providers speak Defender's statuses themselves; the page's labels are words, not logic.
    const holding = (pattern: RegExp) =>
      files.filter((f) => under("lib")(f) && !under("lib/mdr/providers")(f) && pattern.test(read(f).text));
    // Which machine action statuses are final, and that Succeeded is the one success.
    expect(holding(/FINAL_MACHINE_ACTION_STATUSES|["']Succeeded["']/)).toEqual(["lib/mdr/machine-actions.ts"]);
    // `MDR {id} by …`, written with a change and read back by crash recovery.
    expect(holding(/`MDR \$\{/)).toEqual(["lib/mdr/action-comment.ts"]);
  });

  // A kind's action types are named in its folder; outside it, only by the registry and at most
  // one more file (the database schema's partial index of holding isolations, say).
  it("names each kind's action types only in its folder, the registry and at most one more file", () => {
    const folders = { "isolate-endpoint": ISOLATE_ENDPOINT, "block-ip": BLOCK_IP, "disable-user": DISABLE_USER, "quarantine-email": QUARANTINE_EMAIL };
    const naming = Object.fromEntries(
      Object.entries(folders).map(([folder, { types }]) => {
        const outside = files.filter((f) => !under(`lib/mdr/kinds/${folder}`)(f));
        return [folder, outside.filter((f) => names(f, types)).sort()];
      }),
    );
    for (const [folder, found] of Object.entries(naming)) {
      expect(found.length, `${folder}: ${found.join(", ")}`).toBeLessThanOrEqual(2);
      expect(found.filter((f) => f !== "lib/mdr/kinds/index.ts").length, `${folder}: ${found.join(", ")}`).toBeLessThanOrEqual(1);
    }
    // The pipeline names no kind: guard, duplicate rule and settlement arrive through the kind.
    expect(Object.values(naming).flat().filter((f) => f === "lib/mdr/actions.ts")).toEqual([]);
    // The registry names every type; the page's components name none.
    expect(Object.values(naming).every((found) => found.includes("lib/mdr/kinds/index.ts"))).toBe(true);
    expect(Object.values(naming).flat().filter(under("components"))).toEqual([]);
  });

  it("picks the code of a kind through the registry: no switch on an action's type", () => {
    const switching = files
      .filter((f) => under("lib")(f) && !under("lib/mdr/kinds")(f))
      .filter((f) => /switch\s*\(\s*[\w.]*\btype\s*\)/.test(read(f).text));
    expect(switching).toEqual([]);
    // The three places that switched before the registry exist and ask it instead.
    for (const f of ["lib/mdr/recover.ts", "lib/mdr/revert-action.ts", "lib/mdr/actions.ts"]) expect(files).toContain(f);
    expect(read("lib/mdr/recover.ts").imports.map((i) => i.target)).toContain("lib/mdr/kinds/index.ts");
    expect(read("lib/mdr/revert-action.ts").imports.map((i) => i.target)).toContain("lib/mdr/kinds/index.ts");
  });
});

/**
 * Whether `file` names one of `types` in its code (comments aside): a string or template text
 * holding it as a word, or an identifier (a property key) equal to it.
 */
function names(file: string, types: readonly string[]): boolean {
  const text = fs.readFileSync(path.join(ROOT, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith("x") ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const word = new RegExp(`\\b(${types.join("|")})\\b`);
  let found = false;
  const visit = (node: ts.Node) => {
    if (found) return;
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      found = word.test(node.text);
    } else if (ts.isIdentifier(node)) {
      found = types.includes(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
