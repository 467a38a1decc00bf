const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The first value of a comma-separated header, trimmed; `null` when absent or empty. */
function first(value: string | null): string | null {
  const item = value?.split(",")[0]?.trim();
  return item ? item : null;
}

/**
 * This server's address as its users reach it, for the URLs ringside prints (help, the front
 * page, spectator and watch links). Direct, that is the request's own origin. With
 * `trustProxy` (`--trust-proxy`: a proxy in front sets these headers and clients cannot), the
 * scheme and host come from `X-Forwarded-Proto` and `X-Forwarded-Host` (or the standard
 * `Forwarded: proto=…;host=…`), the first hop of each; a value that is not a plain scheme or
 * host is ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { publicOrigin } from "./origin.ts";
 * const request = new Request("http://127.0.0.1:8080/help", {
 *   headers: { "x-forwarded-proto": "https", "x-forwarded-host": "watch.example.com" },
 * });
 * assert.equal(publicOrigin(request, true), "https://watch.example.com");
 * assert.equal(publicOrigin(request, false), "http://127.0.0.1:8080");
 * ```
 */
export function publicOrigin(request: Request, trustProxy: boolean): string {
  const url = new URL(request.url);
  if (!trustProxy) return url.origin;
  const forwarded = first(request.headers.get("forwarded"));
  const field = (name: string) => {
    const match = forwarded && new RegExp(`(?:^|;)\\s*${name}="?([^";]+)"?`, "i").exec(forwarded);
    return match ? match[1]! : null;
  };
  const proto = (first(request.headers.get("x-forwarded-proto")) ?? field("proto") ?? "")
    .toLowerCase();
  const host = first(request.headers.get("x-forwarded-host")) ?? field("host");
  const scheme = proto === "http" || proto === "https" ? proto : url.protocol.slice(0, -1);
  return `${scheme}://${host && HOST.test(host) ? host : url.host}`;
}
