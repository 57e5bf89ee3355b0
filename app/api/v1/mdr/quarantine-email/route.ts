import { MdrError } from "@/lib/errors";
import { idempotent } from "@/lib/http/idempotency";
import { JsonObject, actionResponse, bulkResponse, chargeActions, methodsNotAllowed, parseBody, readJson, route } from "@/lib/http/route";
import { toApiAction } from "@/lib/mdr/actions";
import { quarantineEmails } from "@/lib/mdr/bulk/requests";
import { getContext } from "@/lib/mdr/context";
import { quarantineEmail } from "@/lib/mdr/kinds/quarantine-email/quarantine";
import { BulkQuarantineEmailRequest, QuarantineEmailRequest } from "@/lib/mdr/schemas";

// POST /api/v1/mdr/quarantine-email — pull a message out of a mailbox; with `upns`, out of each of those mailboxes, one action per mailbox (207, or 202 while some wait in the queue)
export const POST = route(
  { role: "responder", limited: true },
  idempotent(async (req, rc) => {
    const body = await readJson(req, JsonObject);
    const ctx = getContext(rc);
    if ("upns" in body) {
      if ("user_principal_name" in body) throw MdrError.field("upns", "give either user_principal_name or upns, not both");
      const input = parseBody(BulkQuarantineEmailRequest, body);
      chargeActions(rc, input.upns.length);
      return bulkResponse(await quarantineEmails({ ctx, input }));
    }
    const action = await quarantineEmail({ ctx, input: parseBody(QuarantineEmailRequest, body) });
    return actionResponse(action, toApiAction(action));
  }),
);

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
