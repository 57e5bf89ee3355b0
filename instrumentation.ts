// Starts the background loops (machine action polling, block expiry) once per server process.
export async function register() {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const [{ startBackground }, { getContext }] = await Promise.all([
    import("@/lib/mdr/background"),
    import("@/lib/mdr/context"),
  ]);
  startBackground(() => getContext("system"));
}
