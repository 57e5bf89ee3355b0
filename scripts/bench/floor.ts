// The in-process floor: the same pipeline work as one POST, without HTTP and Next.js: JSON and
// zod parse of the request, the verb (write-ahead insert, simulated provider call, final
// update), the response row as JSON. `concurrency` loops share one process, like requests share
// the server. Prints one JSON line.
//   node --conditions=react-server --import tsx scripts/bench/floor.ts --verb block-ip --concurrency 16 --seconds 10
import fs from "node:fs";
import path from "node:path";
import { toApiAction } from "@/lib/mdr/actions";
import { blockIp } from "@/lib/mdr/kinds/block-ip/block";
import { isolateEndpoint } from "@/lib/mdr/kinds/isolate-endpoint/isolate";
import { BlockIpRequest, IsolateRequest } from "@/lib/mdr/schemas";
import { benchContext, flag } from "./context";
import { latency } from "./stats";
import { MAX_INDICATORS, type PostVerb, bodies } from "./targets";

const verb = flag("verb") as PostVerb;
const concurrency = Number(flag("concurrency", "16"));
const seconds = Number(flag("seconds", "10"));
const warmupSeconds = Number(flag("warmup", "2"));
const extraDevices = Number(flag("extra-devices", "0"));

// More blocks than Defender's 15,000-indicator quota are made here: the quota is lifted, as for the server.
const ctx = benchContext({ env: { MDR_SIM_EXTRA_DEVICES: String(extraDevices), MDR_SIM_MAX_INDICATORS: String(MAX_INDICATORS) } });
const next = bodies(verb);

async function once(): Promise<void> {
  const text = JSON.stringify(next());
  if (verb === "block-ip") {
    const row = await blockIp({ ctx, input: BlockIpRequest.parse(JSON.parse(text)) });
    JSON.stringify(toApiAction(row));
  } else {
    const row = await isolateEndpoint({ ctx, input: IsolateRequest.parse(JSON.parse(text)) });
    JSON.stringify(toApiAction(row));
  }
}

async function run(ms: number, samples: number[] | null): Promise<{ ops: number; errors: number; firstError?: string }> {
  const end = performance.now() + ms;
  let ops = 0;
  let errors = 0;
  let firstError: string | undefined;
  const loop = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await once();
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
      samples?.push(performance.now() - t0);
      ops++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { ops, errors, firstError };
}

async function main(): Promise<void> {
  await run(warmupSeconds * 1000, null);
  const samples: number[] = [];
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const { ops, errors, firstError } = await run(seconds * 1000, samples);
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (performance.now() - started) / 1000;
  const cpuMsPerOp = (cpu.user + cpu.system) / 1000 / ops;
  ctx.db.$client.close();
  fs.rmSync(path.dirname(ctx.config.dbPath), { recursive: true, force: true });
  const result = { verb, concurrency, seconds: elapsed, ops, rps: ops / elapsed, cpuMsPerOp, errors, firstError, ...latency(samples) };
  console.log(JSON.stringify(result));
}

void main();
