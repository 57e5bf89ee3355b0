// Simulated Defender for Endpoint devices and machine actions.
import {
  type EndpointProvider,
  FINAL_MACHINE_ACTION_STATUSES,
  ISOLATION_TYPES,
  type IsolationType,
  type Machine,
  type MachineAction,
  type MachineActionStatus,
  ProviderError,
} from "@/lib/mdr/providers/types";
import { newGuid } from "@/lib/mdr/providers/simulation/ids";
import type { SimRuntime } from "@/lib/mdr/providers/simulation/runtime";
import { SIM_DEVICES, type SimDeviceSeed, simFleetDevice } from "@/lib/mdr/providers/simulation/seed";

/** How long Defender keeps an action for an offline device Pending before it times out. */
const OFFLINE_PENDING_MS = 3 * 24 * 60 * 60 * 1000;

interface ActionRecord {
  id: string;
  type: MachineAction["type"];
  machineId: string;
  computerDnsName: string;
  comment: string;
  createdAt: number;
  /** Leaves Pending at this time... */
  pendingUntil: number;
  /** ...and InProgress at this one, reaching `outcome`. */
  inProgressUntil: number;
  outcome: Extract<MachineActionStatus, "Succeeded" | "Failed" | "TimeOut">;
}

const notFound = (what: string) =>
  new ProviderError("defender", "not_found", `ResourceNotFound: ${what} was not found`, { httpStatus: 404 });
const conflict = (message: string) => new ProviderError("defender", "conflict", message, { httpStatus: 400 });
const badRequest = (message: string) => new ProviderError("defender", "bad_request", message, { httpStatus: 400 });

export class SimulatedEndpoint implements EndpointProvider {
  private readonly machines = new Map<string, Machine>();
  // Name lookups are indexed: with a large generated fleet, a scan of every device per request
  // would make a load test measure the simulation rather than the product.
  private readonly byDnsName = new Map<string, Machine[]>();
  private readonly byShortName = new Map<string, Machine[]>();
  private readonly actions = new Map<string, ActionRecord>();
  /** Per machine, oldest first: the latest Succeeded action decides whether it is isolated. */
  private readonly history = new Map<string, ActionRecord[]>();

  /** `extraDevices` generated devices (simFleetDevice) join the seeded ones. */
  constructor(
    private readonly rt: SimRuntime,
    extraDevices = 0,
  ) {
    const createdAt = rt.now();
    const add = (d: SimDeviceSeed) => {
      const machine: Machine = {
        id: d.id,
        computerDnsName: d.computerDnsName,
        lastSeen: new Date(createdAt - d.lastSeenMinutesAgo * 60_000).toISOString(),
        osPlatform: d.osPlatform,
        healthStatus: d.healthStatus,
      };
      this.machines.set(d.id, machine);
      const name = d.computerDnsName.toLowerCase();
      push(this.byDnsName, name, machine);
      push(this.byShortName, name.split(".")[0]!, machine);
    };
    SIM_DEVICES.forEach(add);
    for (let n = 1; n <= extraDevices; n++) add(simFleetDevice(n));
  }

  async findMachines(tenantId: string, hostname: string): Promise<Machine[]> {
    await this.rt.enter("defender", "defender.findMachines", tenantId, { mutating: false });
    return this.lookup(hostname);
  }

  private lookup(hostname: string): Machine[] {
    const wanted = hostname.trim().toLowerCase().replace(/\.$/, "");
    if (wanted === "") return [];
    // A full name matches exactly; a short one matches the first label of any device's name.
    const found = wanted.includes(".") ? this.byDnsName.get(wanted) : this.byShortName.get(wanted);
    return (found ?? []).map((m) => ({ ...m }));
  }

  /** Many hostnames in one call (the live one reads the machine list a page of 10,000 at a time), each matched as findMachines matches one. */
  async findMachinesByNames(tenantId: string, hostnames: string[]): Promise<Map<string, Machine[]>> {
    await this.rt.enter("defender", "defender.findMachines", tenantId, { mutating: false });
    return new Map(hostnames.map((h) => [h, this.lookup(h)]));
  }

  async getMachine(tenantId: string, machineId: string): Promise<Machine> {
    await this.rt.enter("defender", "defender.getMachine", tenantId, { mutating: false });
    return { ...this.machine(machineId) };
  }

  async isolate(
    tenantId: string,
    machineId: string,
    input: { comment: string; isolationType: IsolationType },
  ): Promise<MachineAction> {
    await this.rt.enter("defender", "defender.isolate", tenantId, { mutating: true });
    requireComment(input.comment);
    if (!(ISOLATION_TYPES as readonly string[]).includes(input.isolationType)) {
      throw badRequest(`IsolationType '${input.isolationType}' is not valid (expected ${ISOLATION_TYPES.join(", ")})`);
    }
    const machine = this.machine(machineId);
    this.refuseWhileInFlight(machine.id);
    if (this.isIsolated(machine.id)) throw conflict("Machine is already isolated");
    return this.view(this.start("Isolate", machine, input.comment));
  }

  async release(tenantId: string, machineId: string, input: { comment: string }): Promise<MachineAction> {
    await this.rt.enter("defender", "defender.release", tenantId, { mutating: true });
    requireComment(input.comment);
    const machine = this.machine(machineId);
    this.refuseWhileInFlight(machine.id);
    if (!this.isIsolated(machine.id)) throw conflict("Machine is not isolated");
    return this.view(this.start("Unisolate", machine, input.comment));
  }

  async getMachineAction(tenantId: string, actionId: string): Promise<MachineAction> {
    await this.rt.enter("defender", "defender.getMachineAction", tenantId, { mutating: false });
    const action = this.actions.get(actionId.toLowerCase());
    if (!action) throw notFound(`MachineAction '${actionId}'`);
    return this.view(action);
  }

  async listMachineActions(tenantId: string, machineId: string): Promise<MachineAction[]> {
    await this.rt.enter("defender", "defender.getMachineAction", tenantId, { mutating: false });
    return (this.history.get(machineId.toLowerCase()) ?? []).map((a) => this.view(a)).reverse();
  }

  private machine(machineId: string): Machine {
    const machine = this.machines.get(machineId.toLowerCase());
    if (!machine) throw notFound(`Machine '${machineId}'`);
    return machine;
  }

  private start(type: ActionRecord["type"], machine: Machine, comment: string): ActionRecord {
    const createdAt = this.rt.now();
    // A separate draw from the one that may have refused the call: an accepted action can still
    // fail on the device, as real ones do.
    const failsOnDevice = this.rt.fails();
    const offline = machine.healthStatus !== "Active";
    const pendingUntil = createdAt + (offline ? OFFLINE_PENDING_MS : this.rt.stepMs);
    const action: ActionRecord = {
      id: newGuid(),
      type,
      machineId: machine.id,
      computerDnsName: machine.computerDnsName,
      comment,
      createdAt,
      pendingUntil,
      inProgressUntil: offline ? pendingUntil : createdAt + 2 * this.rt.stepMs,
      outcome: offline ? "TimeOut" : failsOnDevice ? "Failed" : "Succeeded",
    };
    this.actions.set(action.id, action);
    const history = this.history.get(machine.id) ?? [];
    history.push(action);
    this.history.set(machine.id, history);
    return action;
  }

  private status(action: ActionRecord): MachineActionStatus {
    const now = this.rt.now();
    if (now < action.pendingUntil) return "Pending";
    if (now < action.inProgressUntil) return "InProgress";
    return action.outcome;
  }

  private refuseWhileInFlight(machineId: string): void {
    const busy = (this.history.get(machineId) ?? []).some(
      (a) => !FINAL_MACHINE_ACTION_STATUSES.includes(this.status(a)),
    );
    if (busy) throw conflict("Action is already in progress");
  }

  private isIsolated(machineId: string): boolean {
    const history = this.history.get(machineId) ?? [];
    const lastEffective = history.findLast((a) => this.status(a) === "Succeeded");
    return lastEffective?.type === "Isolate";
  }

  private view(action: ActionRecord): MachineAction {
    const now = this.rt.now();
    const status = this.status(action);
    let lastUpdate = action.inProgressUntil;
    if (now < action.pendingUntil) lastUpdate = action.createdAt;
    else if (now < action.inProgressUntil) lastUpdate = action.pendingUntil;
    return {
      id: action.id,
      type: action.type,
      status,
      machineId: action.machineId,
      computerDnsName: action.computerDnsName,
      creationDateTimeUtc: new Date(action.createdAt).toISOString(),
      lastUpdateDateTimeUtc: new Date(lastUpdate).toISOString(),
      requestorComment: action.comment,
    };
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function requireComment(comment: string): void {
  if (comment.trim() === "") throw badRequest("Comment is required");
}
