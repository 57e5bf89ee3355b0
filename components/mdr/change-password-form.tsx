"use client";

// The change-password form: posts JSON to /api/v1/auth/password (current + new, the same rules as
// everywhere, checked here first), then goes on to where the user was going.
import { type FormEvent, useState } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { ChangePasswordRequest } from "@/lib/auth/schemas";

export function ChangePasswordForm({ next, username }: { next: string; username: string }) {
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = { current_password: form.get("current_password"), new_password: form.get("new_password") };
    if (body.new_password !== form.get("confirm_password")) {
      setError("The new passwords do not match.");
      return;
    }
    const checked = ChangePasswordRequest.safeParse(body);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      setError(`${issue.path[0] === "new_password" ? "New password" : "Current password"}: ${issue.message}.`);
      return;
    }
    setSending(true);
    setError(null);
    try {
      const res = await fetch("/api/v1/auth/password", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(checked.data),
      });
      if (res.ok) {
        window.location.assign(next);
        return;
      }
      const problem = await res.json().catch(() => null);
      setError(problem?.detail ?? `The password could not be changed (${res.status}).`);
    } catch {
      setError("The server could not be reached.");
    }
    setSending(false);
  }

  return (
    <form onSubmit={submit} aria-label="Change password" className="flex flex-col gap-3">
      {/* For password managers: whose password this is. */}
      <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
      <div className="flex flex-col gap-1.5">
        <Label htmlFor="current_password">Current password</Label>
        <Input id="current_password" name="current_password" type="password" autoComplete="current-password" required autoFocus />
      </div>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor="new_password">New password</Label>
        <Input id="new_password" name="new_password" type="password" autoComplete="new-password" required minLength={12} />
      </div>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor="confirm_password">New password again</Label>
        <Input id="confirm_password" name="confirm_password" type="password" autoComplete="new-password" required minLength={12} />
      </div>
      {error && (
        <p role="alert" className="text-sm text-danger">
          {error}
        </p>
      )}
      <Button type="submit" disabled={sending}>
        {sending ? "Changing…" : "Change password"}
      </Button>
    </form>
  );
}
