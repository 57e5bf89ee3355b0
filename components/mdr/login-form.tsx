"use client";

// The sign-in form: posts JSON to /api/v1/auth/login; the answer sets the session cookie.
import { type FormEvent, useState } from "react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

export function LoginForm({ next }: { next: string }) {
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setSending(true);
    setError(null);
    try {
      const res = await fetch("/api/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: form.get("username"), password: form.get("password") }),
      });
      if (res.ok) {
        const body = await res.json().catch(() => null);
        // A generated first-run password: a new one first, then on to where the user was going.
        window.location.assign(body?.must_change_password ? `/password?next=${encodeURIComponent(next)}` : next);
        return;
      }
      const problem = await res.json().catch(() => null);
      setError(problem?.detail ?? `Sign-in failed (${res.status}).`);
    } catch {
      setError("The server could not be reached.");
    }
    setSending(false);
  }

  return (
    <form onSubmit={submit} aria-label="Sign in" className="flex flex-col gap-3">
      <div className="flex flex-col gap-1.5">
        <Label htmlFor="username">Username</Label>
        <Input id="username" name="username" autoComplete="username" required autoFocus />
      </div>
      <div className="flex flex-col gap-1.5">
        <Label htmlFor="password">Password</Label>
        <Input id="password" name="password" type="password" autoComplete="current-password" required />
      </div>
      {error && (
        <p role="alert" className="text-sm text-danger">
          {error}
        </p>
      )}
      <Button type="submit" disabled={sending}>
        {sending ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}
