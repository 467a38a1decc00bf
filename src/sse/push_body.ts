/**
 * Where a push body writes (Bun's direct `ReadableStream` controller): straight to the socket,
 * with no stream queue or promise per chunk in between.
 */
export interface PushSink {
  /**
   * Writes a chunk. A number: it was taken (bytes buffered); a promise: the socket is full, and
   * it settles once the chunk went out (rejects when the socket went away).
   */
  write(chunk: Uint8Array): number | Promise<number>;
  /** Sends what was written now. */
  flush(): unknown;
  /** Ends the body; with an error, cuts the connection off (a stalled client). */
  close(error?: Error): void;
}

/**
 * Makes a response body that a producer pushes into (the runtime adapter's, where the runtime
 * has one: Bun's `type: "direct"` streams): `start` runs once the response is sent, with the
 * sink; the body lasts until the promise it returns settles. `cancel` is called when the client
 * goes away.
 */
export type PushBody = (
  start: (sink: PushSink) => Promise<void>,
  cancel: () => void,
) => ReadableStream<Uint8Array>;
