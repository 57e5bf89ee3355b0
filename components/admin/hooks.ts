"use client";

// The admin page's live data: SWR over the admin reads, first rendered by the server (fallback).
import useSWR, { useSWRConfig } from "swr";
import { fetchJson } from "@/components/mdr/api";
import {
  AUDIT_KEY,
  type AuditList,
  PROTECTED_ASSETS_KEY,
  type ProtectedAssetList,
  TOKENS_KEY,
  type TokenList,
  USERS_KEY,
  type UserList,
} from "./api";

export const ADMIN_REFRESH_MS = 10_000;
const opts = { refreshInterval: ADMIN_REFRESH_MS, keepPreviousData: true };

export const useProtectedAssets = () => useSWR<ProtectedAssetList>(PROTECTED_ASSETS_KEY, fetchJson, opts);
export const useTokens = () => useSWR<TokenList>(TOKENS_KEY, fetchJson, opts);
export const useUsers = () => useSWR<UserList>(USERS_KEY, fetchJson, opts);
/**
 * The security audit log. An admin of some tenants only is refused it (403, saying why): asked
 * once, neither polled nor retried.
 */
export const useAudit = (allTenants = true) =>
  useSWR<AuditList>(AUDIT_KEY, fetchJson, allTenants ? opts : { ...opts, refreshInterval: 0, shouldRetryOnError: false, revalidateOnFocus: false });

/** After a change: reload its list, and the audit log that recorded it. */
export function useRefresh() {
  const { mutate } = useSWRConfig();
  return (key: string) => Promise.all([mutate(key), mutate(AUDIT_KEY)]);
}
