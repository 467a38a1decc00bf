/**
 * HMAC-SHA-256 computed here, independently of the server's code, for the tests that check what
 * the server signed: watch ids and webhook signatures.
 */
export async function hmacSha256(secret: string, data: Uint8Array | string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes as Uint8Array<ArrayBuffer>));
}

/** The HMAC-SHA-256 of `data` under `secret`, as lower-case hex. */
export async function hmacHex(secret: string, data: Uint8Array | string): Promise<string> {
  const mac = await hmacSha256(secret, data);
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}
