// The admin command line: users, API tokens and protected assets, without the web page.
//   npm run mdr -- users add alice --role responder [--tenants ID[,ID]]   (prints a generated password once)
//   npm run mdr -- users list | passwd NAME | role NAME ROLE | tenants NAME ID[,ID]|all | disable NAME | enable NAME
//   npm run -s mdr -- tokens create soar-playbook --role responder [--tenants ID[,ID]] [--expires-in-days 90]
//   npm run mdr -- tokens list | revoke ID_OR_NAME
//   npm run mdr -- assets list | add KIND PATTERN [--note TEXT] | remove ID
//   npm run mdr -- audit list [--limit N] | verify [--json]   (verify: exit 0, or 1 naming the first record that does not match)
//   npm run mdr -- audit prune [--dry-run] [--days N]   (retention: MDR_AUDIT_RETENTION_DAYS, or --days)
//   npm run -s mdr -- audit export [--format ndjson|csv] [--since ISO] [--until ISO] [--type T] [--status S]
//                                  [--target X] [--tenant-id ID] [--out FILE]   (the actions, as GET /mdr/actions/export)
// It opens the database named by MDR_DB_PATH (as the server does) and records each change in the
// audit log as the actor `cli`. Secrets go to stdout alone, so `$(...)` captures just the secret.
import fs from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { parseArgs } from "node:util";
import { signingKey, summary, verifyAudit } from "@/lib/audit/chain";
import { pruneAudit } from "@/lib/audit/retention";
import { listAudit } from "@/lib/auth/audit";
import { generatePassword } from "@/lib/auth/passwords";
import { Tenants } from "@/lib/auth/schemas";
import { describeScope, grantScope } from "@/lib/auth/scope";
import { CreateTokenRequest, createToken, listTokens, revokeToken, toApiToken } from "@/lib/auth/tokens";
import { CreateUserRequest, UpdateUserRequest, createUser, listUsers, toApiUser, updateUser } from "@/lib/auth/users";
import { config } from "@/lib/config";
import { openDb } from "@/lib/db/client";
import { chainUnchainedRecords } from "@/lib/db/queries/chain";
import { MdrError } from "@/lib/errors";
import { exportActions } from "@/lib/mdr/export-actions";
import { ExportActionsQuery } from "@/lib/mdr/schemas";
import {
  ProtectedAssetInput,
  addProtectedAsset,
  listProtectedAssets,
  removeProtectedAsset,
  toApiProtectedAsset,
} from "@/lib/mdr/protected-assets";
import type { z } from "zod";

const ACTOR = "cli";
const DAY_MS = 86_400_000;

function usage(): never {
  process.stderr.write(
    [
      "usage: npm run mdr -- <command>",
      "  users list",
      "  users add NAME --role viewer|responder|admin [--tenants ID[,ID]] [--password-stdin]",
      "  users tenants NAME ID[,ID]|all",
      "  users passwd NAME [--password-stdin]",
      "  users role NAME viewer|responder|admin",
      "  users disable NAME | users enable NAME",
      "  tokens create NAME --role viewer|responder|admin [--tenants ID[,ID]] [--expires-in-days N]",
      "  tokens list",
      "  tokens revoke ID_OR_NAME",
      "  assets list",
      "  assets add hostname|upn|ip_range PATTERN [--note TEXT]",
      "  assets remove ID",
      "  audit list [--limit N]",
      "  audit verify [--json]",
      "  audit prune [--dry-run] [--days N]",
      "  audit export [--format ndjson|csv] [--since ISO] [--until ISO] [--type T] [--status S] [--target X] [--tenant-id ID] [--out FILE]",
      "",
    ].join("\n"),
  );
  process.exit(2);
}

function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new Error(r.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; "));
  }
  return r.data;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

const table = (rows: object[]) => (rows.length ? console.table(rows) : console.log("(none)"));

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      role: { type: "string" },
      "password-stdin": { type: "boolean" },
      "expires-in-days": { type: "string" },
      note: { type: "string" },
      limit: { type: "string" },
      tenants: { type: "string" },
      json: { type: "boolean" },
      format: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      type: { type: "string" },
      status: { type: "string" },
      target: { type: "string" },
      "tenant-id": { type: "string" },
      out: { type: "string" },
      "dry-run": { type: "boolean" },
      days: { type: "string" },
    },
  });
  const [group, verb, ...args] = positionals;
  if (!group || !verb) usage();
  const store = { db: openDb(config().dbPath), now: Date.now };
  // A log written before the hash chain existed gets its links first, once (as the server does at start).
  chainUnchainedRecords(store.db, store.now());
  const password = async () => (values["password-stdin"] ? await readStdin() : generatePassword());
  // "ID,ID" or "all"; omitted: all tenants. Each must be a configured tenant.
  const tenantsOf = (text: string | undefined) =>
    text === undefined || text === "all" ? null : grantScope(parse(Tenants, text.split(",").map((t) => t.trim())), null, config());

  switch (`${group} ${verb}`) {
    case "users list":
      return table(listUsers(store).map(toApiUser));
    case "users add": {
      const pw = await password();
      const input = parse(CreateUserRequest, { username: args[0], role: values.role, password: pw });
      const user = await createUser(store, { ...input, tenants: tenantsOf(values.tenants) }, ACTOR);
      process.stderr.write(`created ${user.username} (${user.role}, ${describeScope(user.tenants)})${values["password-stdin"] ? "" : "; password:"}\n`);
      if (!values["password-stdin"]) console.log(pw);
      return;
    }
    case "users passwd": {
      const pw = await password();
      await updateUser(store, args[0] ?? usage(), parse(UpdateUserRequest, { password: pw }), ACTOR);
      process.stderr.write(`password changed; ${args[0]}'s sessions are signed out\n`);
      if (!values["password-stdin"]) console.log(pw);
      return;
    }
    case "users role":
      await updateUser(store, args[0] ?? usage(), parse(UpdateUserRequest, { role: args[1] }), ACTOR);
      return void process.stderr.write(`${args[0]} is now ${args[1]}\n`);
    case "users tenants": {
      const user = await updateUser(store, args[0] ?? usage(), { tenants: tenantsOf(args[1] ?? usage()) }, ACTOR);
      return void process.stderr.write(`${user.username} may now act in ${describeScope(user.tenants)}\n`);
    }
    case "users disable":
    case "users enable":
      await updateUser(store, args[0] ?? usage(), { disabled: verb === "disable" }, ACTOR);
      return void process.stderr.write(`${args[0]} ${verb}d\n`);
    case "tokens create": {
      const days = values["expires-in-days"];
      const expiresAt = days === undefined ? null : new Date(Date.now() + Number(days) * DAY_MS).toISOString();
      if (days !== undefined && !(Number(days) > 0)) throw new Error("--expires-in-days: must be a positive number");
      const input = parse(CreateTokenRequest, { name: args[0], role: values.role, expires_at: expiresAt });
      const tenants = tenantsOf(values.tenants);
      const { token, row } = createToken(store, { name: input.name, role: input.role, expiresAt: input.expires_at ?? null, tenants }, ACTOR);
      process.stderr.write(`created token ${row.name} (${row.id}, ${row.role}, ${describeScope(row.tenants)}); it is shown only now:\n`);
      console.log(token);
      return;
    }
    case "tokens list":
      return table(listTokens(store).map(toApiToken));
    case "tokens revoke":
      revokeToken(store, args[0] ?? usage(), ACTOR);
      return void process.stderr.write(`revoked ${args[0]}\n`);
    case "assets list":
      return table(listProtectedAssets(store).map(toApiProtectedAsset));
    case "assets add": {
      const row = addProtectedAsset(store, parse(ProtectedAssetInput, { kind: args[0], pattern: args[1], note: values.note }), ACTOR);
      return void console.log(row.id);
    }
    case "assets remove":
      removeProtectedAsset(store, args[0] ?? usage(), ACTOR);
      return void process.stderr.write(`removed ${args[0]}\n`);
    case "audit list":
    case "audit show":
      return table(listAudit(store, { limit: Number(values.limit ?? 50) }).events);
    case "audit verify": {
      const result = await verifyAudit(store.db, signingKey(config(), store.db), store.now);
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else {
        console.log(summary(result));
        for (const p of result.problems.slice(1, 10)) console.log(`  also: ${p.record}: ${p.why}`);
      }
      process.exitCode = result.ok ? 0 : 1;
      return;
    }
    case "audit prune": {
      // The server's retention, run now: MDR_AUDIT_RETENTION_DAYS, or --days.
      const days = values.days !== undefined ? Number(values.days) : config().audit.retentionDays;
      if (days === undefined) throw new Error("set MDR_AUDIT_RETENTION_DAYS or give --days N: the audit log is kept whole otherwise");
      if (!Number.isInteger(days) || days < 1) throw new Error("--days: must be a whole number of days (1 or more)");
      const dryRun = values["dry-run"] === true;
      const r = await pruneAudit(store.db, signingKey(config(), store.db), { days, now: store.now, actor: ACTOR, dryRun });
      const what = `${r.removed.actions} actions, ${r.removed.actionEvents} timeline events and ${r.removed.auditEvents} security events before ${r.cutoff}`;
      console.log(
        dryRun
          ? `would remove ${what} (chain cut at link ${r.cut}); nothing deleted`
          : r.removed.links > 0
            ? `removed ${what} (chain cut at link ${r.cut}) in ${r.seconds.toFixed(2)} s`
            : `nothing to remove before ${r.cutoff}`,
      );
      return;
    }
    case "audit export": {
      // The same query, lines and order as GET /api/v1/mdr/actions/export, over every tenant.
      const { format, since, until, type, status, target, "tenant-id": tenant_id, out } = values;
      const query = parse(ExportActionsQuery, JSON.parse(JSON.stringify({ format, since, until, type, status, target, tenant_id })));
      const stream = exportActions({ ctx: { db: store.db, scope: null, now: Date.now }, query });
      await pipeline(Readable.fromWeb(stream as WebReadableStream<Uint8Array>), out ? fs.createWriteStream(out) : process.stdout);
      if (out) process.stderr.write(`exported to ${out}\n`);
      return;
    }
    default:
      usage();
  }
}

main().catch((err: unknown) => {
  const message = err instanceof MdrError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
});
