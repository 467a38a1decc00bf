import type { ChunkReader } from "../pipe/fan_out.ts";

/**
 * Whether a request came through a proxy: it carries `Forwarded`, `X-Forwarded-For`,
 * `X-Real-IP` or `Via`, which proxies add and direct clients do not send.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isProxied } from "./proxied_sender.ts";
 * assert.equal(isProxied(new Request("http://h/p", { headers: { "x-forwarded-for": "1.2.3.4" } })), true);
 * assert.equal(isProxied(new Request("http://h/p")), false);
 * ```
 */
export function isProxied(request: Request): boolean {
  const headers = request.headers;
  return headers.has("forwarded") || headers.has("x-forwarded-for") ||
    headers.has("x-real-ip") || headers.has("via");
}

/** What {@linkcode watchEnd} returns. */
export interface WatchedBody {
  /** Reads the body as a reader of it would; hand it to whoever takes the bytes. */
  reader: ChunkReader;
  /** Settles once the body was read to its end, failed, or was cancelled. */
  ended: Promise<void>;
}

/**
 * Wraps a sender's body so that the route knows when the upload is over, however it ends.
 *
 * Why: nginx (1.22) stops sending a request body to the upstream once it has passed the
 * upstream's response headers on, so a sender answered before its upload ended stalls at the
 * first full socket buffer (~4 MB). Behind a proxy the sender's route therefore answers only
 * once `ended` settles: the log lines written meanwhile then arrive at once. Every way a
 * transfer ends reaches the reader: the last `read()` (done), an error, or `cancel()` (the
 * sender left, a wait timed out, every receiver went away).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { watchEnd } from "./proxied_sender.ts";
 * let ended = false;
 * const { reader, ended: over } = watchEnd(ReadableStream.from([new Uint8Array([1])]));
 * over.then(() => ended = true);
 * assert.equal((await reader.read()).done, false);
 * assert.equal((await reader.read()).done, true);
 * await over;
 * assert.equal(ended, true);
 * ```
 */
export function watchEnd(source: ReadableStream<Uint8Array> | ChunkReader): WatchedBody {
  const inner = source instanceof ReadableStream ? source.getReader() : source;
  const { promise: ended, resolve } = Promise.withResolvers<void>();
  const reader: ChunkReader = {
    async read() {
      try {
        const result = await inner.read();
        if (result.done) resolve();
        return result;
      } catch (error) {
        resolve();
        throw error;
      }
    },
    cancel(reason) {
      resolve();
      return inner.cancel(reason);
    },
  };
  return { reader, ended };
}
