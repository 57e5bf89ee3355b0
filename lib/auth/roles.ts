// Free of server imports: the page uses it to decide which controls to show.
import { ROLES, type Role } from "./enums";

/** Whether `have` includes the rights of `need` (admin > responder > viewer). */
export function hasRole(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}
