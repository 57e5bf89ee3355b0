// AWS network ACL entries through @aws-sdk/client-ec2. Security groups hold allow rules only, so a
// block (`firewall_type: aws_sg`) is an inbound deny entry at the lowest free rule number in range.
import { Serial } from "@/lib/mdr/providers/serial";
import { gateAwsClient } from "@/lib/mdr/providers/live/aws-gate";
import {
  CreateNetworkAclEntryCommand,
  DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand,
  EC2Client,
  type NetworkAclEntry,
} from "@aws-sdk/client-ec2";
import type { TenantConfig } from "@/lib/config";
import type { CallGate } from "@/lib/mdr/providers/gate";
import { lowestFree } from "@/lib/mdr/providers/numbers";
import { asProviderError, kindOfStatus, withTimeout } from "@/lib/mdr/providers/live/retry";
import {
  type BlockRequest,
  type BlockResult,
  type FirewallCapacity,
  type FirewallProvider,
  ProviderError,
} from "@/lib/mdr/providers/types";

type AclConfig = NonNullable<TenantConfig["awsNacl"]>;

export interface AwsNaclOptions {
  tenants: readonly TenantConfig[];
  endpoint: string | undefined;
  timeoutMs: number;
  gate: CallGate;
}

const PERMISSION = "ec2:DescribeNetworkAcls, ec2:CreateNetworkAclEntry and ec2:DeleteNetworkAclEntry";

export class AwsNaclFirewall implements FirewallProvider {
  private readonly clients = new Map<string, EC2Client>();

  constructor(private readonly opts: AwsNaclOptions) {}

  private target(tenantId: string): { client: EC2Client; acl: AclConfig } {
    const acl = this.opts.tenants.find((t) => t.tenantId === tenantId)?.awsNacl;
    if (!acl) throw new ProviderError("aws", "bad_request", `no network ACL is configured for tenant ${tenantId}`);
    let client = this.clients.get(tenantId);
    if (!client) {
      client = new EC2Client({
        region: acl.region,
        ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}),
        ...(acl.credentials ? { credentials: acl.credentials } : {}),
        // The SDK's standard retry mode backs off on throttling and 5xx: 3 tries in all.
        maxAttempts: 3,
      });
      // Inside the SDK's retry loop: each attempt is one request and takes a turn at the gate.
      gateAwsClient(client, this.opts.gate, "aws", tenantId);
      this.clients.set(tenantId, client);
    }
    return { client, acl };
  }

  private run<T>(what: string, work: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return withTimeout(this.opts.timeoutMs, work, (err, abortSignal) => ec2Error(err, what, abortSignal));
  }

  private async inboundEntries(tenantId: string): Promise<NetworkAclEntry[]> {
    const { client, acl } = this.target(tenantId);
    const out = await this.run("DescribeNetworkAcls", (abortSignal) =>
      client.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [acl.networkAclId] }), { abortSignal }),
    );
    const found = out.NetworkAcls?.find((a) => a.NetworkAclId === acl.networkAclId);
    if (!found) throw new ProviderError("aws", "not_found", `network ACL ${acl.networkAclId} was not found`, { httpStatus: 404 });
    return (found.Entries ?? []).filter((e) => e.Egress === false);
  }

  /** One write at a time per ACL in this process: each picks the lowest free number after the previous one took its own. */
  private readonly writes = new Serial();

  async block(tenantId: string, request: BlockRequest): Promise<BlockResult> {
    // A bulk's blocks run side by side: each reading the entries and taking the lowest free number
    // at once would pick the same number (EC2: NetworkAclEntryAlreadyExists). Another writer can
    // still race us; the retry below covers that.
    return this.writes.run(this.target(tenantId).acl.networkAclId, () => this.blockNow(tenantId, request));
  }

  private async blockNow(tenantId: string, request: BlockRequest): Promise<BlockResult> {
    const { client, acl } = this.target(tenantId);
    const v6 = request.address.includes(":");
    const cidr = request.address.includes("/") ? request.address : `${request.address}/${v6 ? 128 : 32}`;
    for (let attempt = 0; ; attempt++) {
      const entries = await this.inboundEntries(tenantId);
      const same = entries.find((e) => e.RuleAction === "deny" && (e.CidrBlock === cidr || e.Ipv6CidrBlock === cidr));
      if (same) {
        throw new ProviderError("aws", "conflict", `${cidr} is already denied by rule ${same.RuleNumber} of ${acl.networkAclId}`, {
          httpStatus: 409,
        });
      }
      const ruleNumber = lowestFree(acl.ruleRange, new Set(entries.map((e) => e.RuleNumber)));
      if (ruleNumber === undefined) {
        throw new ProviderError(
          "aws",
          "conflict",
          `no free rule number in ${acl.ruleRange.min}-${acl.ruleRange.max} on ${acl.networkAclId} (AWS_NACL_RULE_RANGE)`,
          { httpStatus: 409 },
        );
      }
      request.planned?.({ network_acl_id: acl.networkAclId, rule_number: ruleNumber, cidr });
      try {
        await this.run("CreateNetworkAclEntry", (abortSignal) =>
          client.send(
            new CreateNetworkAclEntryCommand({
              NetworkAclId: acl.networkAclId,
              RuleNumber: ruleNumber,
              Protocol: "-1",
              RuleAction: "deny",
              Egress: false,
              ...(v6 ? { Ipv6CidrBlock: cidr } : { CidrBlock: cidr }),
            }),
            { abortSignal },
          ),
        );
      } catch (err) {
        if (!(err instanceof ProviderError && /NetworkAclEntryAlreadyExists/.test(err.message))) throw err;
        // The SDK sends a create again when the answer to the first was lost: that first one may
        // have made the entry. Ours (this number, denying this CIDR inbound) is the block done.
        const taken = (await this.inboundEntries(tenantId)).find((e) => e.RuleNumber === ruleNumber);
        if (taken?.RuleAction === "deny" && (taken.CidrBlock ?? taken.Ipv6CidrBlock) === cidr) return this.blocked(acl, ruleNumber, cidr);
        // Another writer took the number between our read and our write: read again.
        if (attempt < 2) continue;
        throw err;
      }
      return this.blocked(acl, ruleNumber, cidr);
    }
  }

  private blocked(acl: AclConfig, ruleNumber: number, cidr: string): BlockResult {
    return { ref: String(ruleNumber), details: { network_acl_id: acl.networkAclId, rule_number: ruleNumber, cidr } };
  }

  async unblock(tenantId: string, ref: string, address: string): Promise<{ alreadyAbsent: boolean }> {
    const { client, acl } = this.target(tenantId);
    const ruleNumber = Number(ref);
    const v6 = address.includes(":");
    const cidr = address.includes("/") ? address : `${address}/${v6 ? 128 : 32}`;
    const entry = (await this.inboundEntries(tenantId)).find((e) => e.RuleNumber === ruleNumber);
    if (!entry) return { alreadyAbsent: true };
    // Remove exactly what the block created: the number may have been reused for another entry.
    if (entry.RuleAction !== "deny" || (entry.CidrBlock ?? entry.Ipv6CidrBlock) !== cidr) {
      throw new ProviderError(
        "aws",
        "conflict",
        `rule ${ruleNumber} of ${acl.networkAclId} no longer denies ${cidr}; left in place`,
        { httpStatus: 409 },
      );
    }
    await this.run("DeleteNetworkAclEntry", (abortSignal) =>
      client.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: acl.networkAclId, RuleNumber: ruleNumber, Egress: false }), {
        abortSignal,
      }),
    );
    return { alreadyAbsent: false };
  }

  /**
   * An ACL entry carries no name: a block's own entry is the one at the rule number it recorded
   * before writing it (`planned`), if that still denies its CIDR. No number recorded: the entry
   * was never written (a deny for the same CIDR is someone else's, and must not be taken).
   */
  async findBlock(
    tenantId: string,
    _actionId: string,
    address: string,
    known: Record<string, unknown> | null,
  ): Promise<BlockResult | null> {
    const { acl } = this.target(tenantId);
    const cidr = cidrOf(address);
    const ruleNumber = Number(known?.rule_number);
    if (!Number.isInteger(ruleNumber)) return null;
    const entry = (await this.inboundEntries(tenantId)).find(
      (e) => e.RuleNumber === ruleNumber && e.RuleAction === "deny" && (e.CidrBlock === cidr || e.Ipv6CidrBlock === cidr),
    );
    if (!entry || entry.RuleNumber === undefined) return null;
    return this.blocked(acl, entry.RuleNumber, cidr);
  }

  /**
   * How many more inbound entries the ACL takes: its quota (AWS_NACL_RULES_QUOTA, per tenant
   * `rules_quota`; AWS counts the default deny entry, and each address family apart) less the
   * inbound IPv4 entries it holds, and no more than the free rule numbers of the configured range
   * (which both families share). One DescribeNetworkAcls. One entry per address is EC2's floor, so
   * a bulk on an ACL is this many CreateNetworkAclEntry calls at most.
   */
  async capacity(tenantId: string): Promise<FirewallCapacity> {
    const { acl } = this.target(tenantId);
    const entries = await this.inboundEntries(tenantId);
    const v4 = entries.filter((e) => e.Ipv6CidrBlock === undefined).length;
    const v6 = entries.length - v4;
    const taken = new Set(entries.map((e) => e.RuleNumber));
    let numbers = 0;
    for (let n = acl.ruleRange.min; n <= acl.ruleRange.max; n++) if (!taken.has(n)) numbers++;
    const quota = acl.rulesQuota;
    const free = Math.max(0, Math.min(quota - v4, numbers));
    return {
      free,
      detail:
        `${free} more inbound entries fit in ${acl.networkAclId}: it holds ${v4} of its ${quota} inbound IPv4 entries ` +
        `(the default deny included; AWS_NACL_RULES_QUOTA) and ${v6} of its ${quota} IPv6 ones, and ${numbers} rule numbers ` +
        `of ${acl.ruleRange.min}-${acl.ruleRange.max} are free (AWS_NACL_RULE_RANGE)`,
    };
  }

  /** ACL entries have no expiry (and cannot be edited): the sweep removes them at the row's expires_at. */
  async setExpiry(): Promise<void> {}

  async probe(tenantId: string): Promise<void> {
    await this.inboundEntries(tenantId);
  }
}

/** The CIDR an address is written as in an ACL entry. */
function cidrOf(address: string): string {
  return address.includes("/") ? address : `${address}/${address.includes(":") ? 128 : 32}`;
}

function ec2Error(err: unknown, what: string, signal: AbortSignal): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  if (typeof status !== "number") return asProviderError("aws", err, signal);
  const code = e.name ?? "";
  let kind = kindOfStatus(status);
  if (/UnauthorizedOperation|AuthFailure|InvalidClientTokenId|SignatureDoesNotMatch/.test(code)) kind = "permission";
  else if (/NotFound/.test(code)) kind = "not_found";
  else if (/LimitExceeded|AlreadyExists/.test(code) && code !== "RequestLimitExceeded") kind = "conflict";
  else if (code === "RequestLimitExceeded" || code === "Throttling") kind = "throttled";
  const head = `${status}${code ? ` ${code}` : ""} on ${what}`;
  const message = (e.message ?? "").slice(0, 300);
  return new ProviderError(
    "aws",
    kind,
    // Credentials AWS could not validate (a wrong key or secret) are not a missing permission.
    /AuthFailure|InvalidClientTokenId|SignatureDoesNotMatch/.test(code)
      ? `${head}: the credentials were refused. ${message}`.trim()
      : kind === "permission"
        ? `${head}: the credentials need ${PERMISSION}. ${message}`.trim()
        : `${head}: ${message}`,
    { httpStatus: status },
  );
}
