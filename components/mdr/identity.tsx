"use client";

// Who is signed in, for the client islands: controls that act are shown only to roles that may act.
import { LogOutIcon } from "lucide-react";
import { useRouter } from "next/navigation";
import { type ReactNode, createContext, useContext, useState } from "react";
import { Button } from "@/components/ui/button";
import { hasRole } from "@/lib/auth/roles";
import type { Role } from "@/lib/auth/enums";

export interface SignedIn {
  name: string;
  role: Role;
}

const IdentityContext = createContext<SignedIn | null>(null);

export function IdentityProvider({ value, children }: { value: SignedIn; children: ReactNode }) {
  return <IdentityContext.Provider value={value}>{children}</IdentityContext.Provider>;
}

/** Whether the signed-in user may execute and undo actions. */
export function useCanAct(): boolean {
  const me = useContext(IdentityContext);
  return me !== null && hasRole(me.role, "responder");
}

export function UserMenu() {
  const me = useContext(IdentityContext);
  const [leaving, setLeaving] = useState(false);
  const router = useRouter();
  if (!me) return null;
  async function signOut() {
    setLeaving(true);
    await fetch("/api/v1/auth/logout", { method: "POST" }).catch(() => undefined);
    router.replace("/login");
    router.refresh();
  }
  return (
    <div className="flex items-center gap-2 text-xs" data-testid="user-menu">
      <span>
        <span className="font-medium">{me.name}</span>{" "}
        <span className="rounded bg-muted px-1.5 py-0.5 text-muted-foreground">{me.role}</span>
      </span>
      <Button variant="ghost" size="sm" onClick={signOut} disabled={leaving} aria-label="Sign out">
        <LogOutIcon aria-hidden />
        <span className="hidden sm:inline">Sign out</span>
      </Button>
    </div>
  );
}
