const encoder = new TextEncoder();

/** The HMAC-SHA256 key of `--notify-secret`, for {@linkcode signature}. */
export function signatureKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
}

/**
 * The `X-Ringside-Signature` value of a notice: `sha256=` and the lowercase hex of
 * HMAC-SHA256(secret, the exact body bytes). A receiver computes the same over the bytes it
 * read, before parsing them, and compares in constant time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signature, signatureKey } from "./signature.ts";
 * const body = new TextEncoder().encode("The quick brown fox jumps over the lazy dog");
 * assert.equal(
 *   await signature(await signatureKey("key"), body),
 *   "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
 * );
 * ```
 */
export async function signature(key: CryptoKey, body: Uint8Array): Promise<string> {
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, body as Uint8Array<ArrayBuffer>),
  );
  return `sha256=${Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
