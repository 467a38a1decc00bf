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
  /** The same bytes; hand it to whoever takes them. */
  body: ReadableStream<Uint8Array>;
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
 * transfer ends reaches the wrapper: the last read (done), an error, or a cancel (the sender
 * left, a wait timed out, every receiver went away), which is passed on to `source`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { watchEnd } from "./proxied_sender.ts";
 * let ended = false;
 * const { body, ended: over } = watchEnd(ReadableStream.from([new Uint8Array([1])]));
 * over.then(() => ended = true);
 * assert.deepEqual(await Array.fromAsync(body), [new Uint8Array([1])]);
 * await over;
 * assert.equal(ended, true);
 * ```
 */
export function watchEnd(source: ReadableStream<Uint8Array>): WatchedBody {
  const reader = source.getReader();
  const { promise: ended, resolve } = Promise.withResolvers<void>();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const result = await reader.read();
        if (result.done) {
          resolve();
          controller.close();
        } else {
          controller.enqueue(result.value);
        }
      } catch (error) {
        resolve();
        controller.error(error);
      }
    },
    cancel(reason: unknown) {
      resolve();
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return { body, ended };
}
