// /password — change one's own password. A user signed in with the generated first-run password
// is sent here by every page and may do nothing else until it is changed.
import { ShieldHalfIcon } from "lucide-react";
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ChangePasswordForm } from "@/components/mdr/change-password-form";
import { pageIdentity, safeNext } from "@/lib/auth/page-identity";
import { findUser } from "@/lib/auth/users";
import { authStore } from "@/lib/http/route";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Change password · MDR" };

export default async function PasswordPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const next = safeNext((await searchParams).next);
  const me = await pageIdentity();
  if (!me) redirect(`/login?next=${encodeURIComponent(`/password?next=${next}`)}`);
  const sso = findUser(authStore(), me.name)?.source !== "local";
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm rounded-lg border bg-card p-6 shadow-xs">
        <div className="mb-5 flex items-center gap-2">
          <ShieldHalfIcon className="size-5 text-primary" aria-hidden />
          <h1 className="text-base font-semibold tracking-tight">Change your password</h1>
        </div>
        {me.mustChangePassword && (
          <p role="status" data-testid="password-change-required" className="mb-4 rounded-md border bg-muted px-3 py-2 text-sm">
            You signed in as <span className="font-medium">{me.name}</span> with a one-time password. Choose your own
            password to continue.
          </p>
        )}
        {sso ? (
          <p className="text-sm text-muted-foreground">
            You sign in through your identity provider; change your password there.
          </p>
        ) : (
          <ChangePasswordForm next={next} username={me.name} />
        )}
      </div>
    </main>
  );
}
