/** Raw TCP exchanges with a server, for requests no HTTP client would send. */

/** What one raw exchange got back. */
export interface RawReply {
  /** Everything the server wrote before it closed or `timeoutMs` passed (latin1). */
  text: string;
  /** The status code of the first status line, or `null` when none came. */
  status: number | null;
}

/**
 * Connects to `origin`, writes `request` (bytes, or text sent as latin1), optionally closes the
 * writing side, and reads until the server closes or `timeoutMs` passes; then closes. Never
 * throws for a connection the server resets.
 */
export async function rawExchange(
  origin: string,
  request: Uint8Array | string,
  options: { timeoutMs?: number; closeWrite?: boolean } = {},
): Promise<RawReply> {
  const { hostname, port } = new URL(origin);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  const bytes = typeof request === "string"
    ? Uint8Array.from(request, (char) => char.charCodeAt(0) & 0xff)
    : request;
  let text = "";
  const timer = setTimeout(() => {
    try {
      connection.close();
    } catch {
      // already closed
    }
  }, options.timeoutMs ?? 2_000);
  try {
    let written = 0;
    while (written < bytes.length) written += await connection.write(bytes.subarray(written));
    if (options.closeWrite) await connection.closeWrite();
    const buffer = new Uint8Array(16 * 1024);
    while (true) {
      const n = await connection.read(buffer);
      if (n === null) break;
      for (let i = 0; i < n; i++) text += String.fromCharCode(buffer[i]!);
    }
  } catch {
    // reset by the server, or closed by the timer
  } finally {
    clearTimeout(timer);
    try {
      connection.close();
    } catch {
      // already closed
    }
  }
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return { text, status: match ? Number(match[1]) : null };
}
