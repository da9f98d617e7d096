/**
 * Calls to the server's JSON API with the access token. The token arrives in the URL printed by
 * `runnable ui` (`?token=…`); it is kept in this tab's sessionStorage and removed from the address
 * bar, so links and screenshots do not carry it.
 */
const KEY = "runnable-ui-token";

export function token(): string | null {
  const url = new URL(location.href);
  const given = url.searchParams.get("token");
  if (given) {
    sessionStorage.setItem(KEY, given);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(KEY);
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const etags = new Map<string, { etag: string; value: unknown }>();

/** GETs JSON; answers 304 from the last copy (the server sends ETags, polling costs nothing while nothing changed). */
export async function get<T>(path: string): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token() ?? ""}` };
  const kept = etags.get(path);
  if (kept) headers["if-none-match"] = kept.etag;
  const res = await fetch(path, { headers });
  if (res.status === 304 && kept) return kept.value as T;
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!res.ok) throw new ApiError(res.status, body.error?.message ?? `${res.status} ${res.statusText}`);
  const etag = res.headers.get("etag");
  if (etag) etags.set(path, { etag, value: body });
  return body as T;
}

/** A link to a catalog file (downloads cannot send headers: the token rides in the query). */
export function fileUrl(runId: string, name: string, inline = false): string {
  const path = name.split("/").map(encodeURIComponent).join("/");
  return `/api/runs/${encodeURIComponent(runId)}/files/${path}?${inline ? "inline=1&" : ""}token=${encodeURIComponent(token() ?? "")}`;
}
