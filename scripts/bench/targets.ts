// Distinct, valid targets for the benchmark: the product refuses a duplicate active block and
// the isolation of a host that is already isolated (409), so every request needs its own target.

// Public /8s only (no private, shared, documentation, multicast or reserved space), so every
// address passes the Defender "public addresses only" check.
const PUBLIC_FIRST_OCTETS = [23, 45, 51, 62, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 93, 94, 95, 109, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217];
// Host parts 1-254 in the last octet: no .0 or .255, which some tools read as network or broadcast.
const PER_OCTET = 256 * 256 * 254;

/** The n-th (0-based) address of a sequence of distinct global unicast IPv4 addresses. */
export function publicIpv4(n: number): string {
  const first = PUBLIC_FIRST_OCTETS[Math.floor(n / PER_OCTET) % PUBLIC_FIRST_OCTETS.length]!;
  const rest = n % PER_OCTET;
  const last = (rest % 254) + 1;
  const middle = Math.floor(rest / 254);
  return `${first}.${middle >> 8}.${middle & 255}.${last}`;
}

/** Short host name of the n-th (1-based) generated device of MDR_SIM_EXTRA_DEVICES. */
export function fleetHost(n: number): string {
  return `fleet-${String(n).padStart(6, "0")}`;
}

/** A step blocks more addresses than Defender's 15,000-indicator quota allows: lifted for the benchmark. */
export const MAX_INDICATORS = 10_000_000;

export type PostVerb = "block-ip" | "isolate";

export const POST_PATHS: Record<PostVerb, string> = {
  "block-ip": "/api/v1/mdr/block-ip",
  isolate: "/api/v1/mdr/isolate",
};

/**
 * Targets used so far in this process, per verb: the steps of a phase share one audit log, which
 * refuses a second block of an address (or isolation of a host) still in effect, so no step may
 * reuse another's targets.
 */
const used: Record<PostVerb, number> = { "block-ip": 0, isolate: 0 };

/** How many targets of a verb this process has handed out. */
export function hostsUsed(verb: PostVerb): number {
  return used[verb];
}

/** A request body factory: each call gives the next distinct, valid action. */
export function bodies(verb: PostVerb): () => Record<string, unknown> {
  if (verb === "block-ip") {
    return () => ({ ip: publicIpv4(used[verb]++), firewall_type: "defender", reason: "benchmark" });
  }
  return () => ({ hostname: fleetHost(++used[verb]), isolation_type: "Selective", reason: "benchmark" });
}
