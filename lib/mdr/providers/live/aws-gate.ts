// The rate gate inside an AWS SDK client: added at finalizeRequest, after the SDK's retry step, so
// each attempt is one request, takes its own turn at the gate, and reports whether AWS answered
// (a 5xx or no answer counts towards the circuit breaker; a 4xx is AWS answering).
import type { CallGate } from "@/lib/mdr/providers/gate";
import type { Service } from "@/lib/mdr/providers/types";

interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (next: (args: never) => Promise<unknown>) => (args: never) => Promise<unknown>,
      options: { step: "finalizeRequest"; priority: "low"; name: string },
    ): void;
  };
}

export function gateAwsClient(client: MiddlewareClient, gate: CallGate, service: Service, tenantId: string): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const ticket = await gate.enter(service, tenantId);
      try {
        const out = await next(args);
        ticket.done("ok");
        return out;
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        ticket.done(status === undefined || status >= 500 ? "failure" : "ok", (err as Error).message);
        throw err;
      }
    },
    { step: "finalizeRequest", priority: "low", name: "mdrGate" },
  );
}
