// Once per server process: check the configuration (a bad one stops the server with a clear
// message rather than failing requests), chain an older audit log and print the checkpoint key,
// make the first admin on an empty database, seed the
// protected assets file, then start the background loops (machine action polling, block expiry).
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const [{ startBackground }, { SYSTEM, getContext }, { ConfigError, config }, { prepareAuth }, { prepareProtectedAssets }, { prepareAudit }, { getDb }] =
    await Promise.all([
      import("@/lib/mdr/background"),
      import("@/lib/mdr/context"),
      import("@/lib/config"),
      import("@/lib/auth/bootstrap"),
      import("@/lib/mdr/protected-assets"),
      import("@/lib/audit/chain"),
      import("@/lib/db/client"),
    ]);
  const print = (line: string) => console.log(line);
  try {
    // First: records an older version wrote get their links before anything new is chained.
    prepareAudit(config(), getDb(), Date.now(), print);
    await prepareAuth(config(), print);
    prepareProtectedAssets(config(), print);
    startBackground(() => getContext(SYSTEM));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`[mdr] ${err.message}`);
    process.exit(1);
  }
}
