// /login — sign in with a local account, or with Microsoft Entra ID when single sign-on is set up.
import { ShieldHalfIcon } from "lucide-react";
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { LoginForm } from "@/components/mdr/login-form";
import { pageIdentity, passwordChangePath, safeNext } from "@/lib/auth/page-identity";
import { config } from "@/lib/config";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in · MDR" };

const SSO_ERRORS: Record<string, string> = {
  sso_failed: "Single sign-on did not complete. Try again, or sign in with a local account.",
  sso_no_role: "Your account has no role in MDR Response Actions. Ask an admin to assign you one.",
  sso_no_tenant: "Your account has no tenant in MDR Response Actions. Ask an admin to give you one.",
};

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const next = safeNext(params.next);
  const me = await pageIdentity();
  if (me) redirect(me.mustChangePassword ? passwordChangePath(next) : next);
  const sso = config().auth.oidc !== undefined;
  // Own keys only: `?error=__proto__` or `?error=constructor` must not find Object.prototype's.
  const error = typeof params.error === "string" && Object.hasOwn(SSO_ERRORS, params.error) ? SSO_ERRORS[params.error] : undefined;
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm rounded-lg border bg-card p-6 shadow-xs">
        <div className="mb-5 flex items-center gap-2">
          <ShieldHalfIcon className="size-5 text-primary" aria-hidden />
          <h1 className="text-base font-semibold tracking-tight">MDR Response Actions</h1>
        </div>
        {error && (
          <p role="alert" className="mb-4 rounded-md border border-danger/40 bg-danger/10 px-3 py-2 text-sm">
            {error}
          </p>
        )}
        {sso && (
          <>
            <a
              href={`/api/v1/auth/oidc/login?next=${encodeURIComponent(next)}`}
              className="flex h-9 w-full items-center justify-center rounded-md border bg-background text-sm font-medium hover:bg-accent"
            >
              Sign in with Microsoft
            </a>
            <p className="my-4 text-center text-xs text-muted-foreground">or with a local account</p>
          </>
        )}
        <LoginForm next={next} />
      </div>
    </main>
  );
}
