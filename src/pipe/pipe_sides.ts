// The two sides of a pipe: what a sender brings and a receiver gets, and each one's record while
// it waits for the other.

import type { HttpError } from "../http_error.ts";
import type { RelaySource } from "./relay_source.ts";
import type { SenderLog } from "./sender_log.ts";

/** What a sender brings. */
export interface SenderRequest {
  /**
   * The bytes: the request body, or a {@linkcode RelaySource} over it when the route reads ahead
   * or waits for the upload's end.
   */
  body: ReadableStream<Uint8Array> | RelaySource | null;
  /** `?n=`, or `null` when not given (which means 1: see `Pipe.send`). */
  n: number | null;
  /** `Content-Length` or `?size=`, for percent and ETA. */
  total: number | null;
  /** The headers to hand to receivers. */
  headers: Headers;
  /** Aborts when the sender's connection goes away. */
  signal: AbortSignal;
  /** The pipe's watch link, printed first in the sender's log. */
  watch?: string | undefined;
}

/** What a receiver gets once the transfer starts. */
export interface ReceiverResponse {
  body: ReadableStream<Uint8Array>;
  headers: Headers;
}

/** A sender while it waits for its receivers, and its log. */
export interface Sender {
  request: SenderRequest;
  log: SenderLog;
  timer: ReturnType<typeof setTimeout>;
  probe: ReturnType<typeof setInterval>;
  /** Stops listening to the connection (see `Pipe`'s `#finish`). */
  unlisten: () => void;
}

/** A receiver while it waits for the transfer to start. */
export interface Receiver {
  resolve: (response: ReceiverResponse) => void;
  reject: (error: HttpError) => void;
  timer: ReturnType<typeof setTimeout>;
  unlisten: () => void;
}
