// `serve` could not listen, in one line whichever runtime said it.

/**
 * `serve` could not listen: the address is in use, not on this machine, or not allowed. The
 * message is one line: `cannot listen on 127.0.0.1:8080: address in use`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ListenError } from "./listen_error.ts";
 * const inUse = Object.assign(new Error("Address already in use"), { code: "EADDRINUSE" });
 * assert.equal(
 *   new ListenError("127.0.0.1", 8080, inUse).message,
 *   "cannot listen on 127.0.0.1:8080: address in use",
 * );
 * assert.equal(
 *   new ListenError("::1", 80, new Error("Nope (os error 9)\nat …")).message,
 *   "cannot listen on [::1]:80: Nope",
 * );
 * ```
 */
export class ListenError extends Error {
  constructor(hostname: string, port: number, cause: unknown) {
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    super(`cannot listen on ${host}:${port}: ${listenProblem(cause)}`, { cause });
    this.name = "ListenError";
  }
}

/** What the OS said, in a few words: the code where both runtimes agree on one. */
function listenProblem(cause: unknown): string {
  const code = (cause as { code?: unknown } | null)?.code;
  switch (code) {
    case "EADDRINUSE":
      return "address in use";
    case "EADDRNOTAVAIL":
      return "address not available on this machine";
    case "EACCES":
      return "permission denied";
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.split("\n")[0]!.replace(/\s*\(os error \d+\)$/, "");
}
