import { idempotent } from "@/lib/http/idempotency";
import { actionResponse, methodsNotAllowed, readJson, route } from "@/lib/http/route";
import { toApiAction } from "@/lib/mdr/actions";
import { getContext } from "@/lib/mdr/context";
import { quarantineEmail } from "@/lib/mdr/kinds/quarantine-email/quarantine";
import { QuarantineEmailRequest } from "@/lib/mdr/schemas";

// POST /api/v1/mdr/quarantine-email — pull a message out of a mailbox
export const POST = route(
  { role: "responder", limited: true },
  idempotent(async (req, rc) => {
    const input = await readJson(req, QuarantineEmailRequest);
    const action = await quarantineEmail({ ctx: getContext(rc), input });
    return actionResponse(action, toApiAction(action));
  }),
);

export const { GET, PUT, PATCH, DELETE } = methodsNotAllowed("POST");
