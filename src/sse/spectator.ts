import { AUDIENCE_EVENT, type Topic, type TopicEvent } from "../progress/topic.ts";
import { Outbox } from "./outbox.ts";
import { every } from "./ticker.ts";

const encoder = new TextEncoder();
const RETRY = encoder.encode("retry: 2000\n\n");
const KEEPALIVE = encoder.encode(": keepalive\n\n");
const OVERFLOW = encoder.encode(": too far behind: reconnect with Last-Event-ID\n\n");
const LOST = encoder.encode(": error redis unavailable\n\n");
const PROGRESS_SLOT = "progress";
const AUDIENCE_SLOT = "audience";

/** Why a spectator went away. */
export type SpectatorCloseReason =
  | "end"
  | "ttl"
  | "deadline"
  | "cancel"
  | "write-timeout"
  | "overflow";

/** Options for {@linkcode Spectator}. */
export interface SpectatorOptions {
  /** Event types whose newest occurrence replaces an unsent older one. @default ["progress"] */
  latestWins?: readonly string[];
  /** A `: keepalive` comment after this many ms without a write. @default 15000 */
  heartbeat?: number;
  /** The connection is closed after this many ms (EventSource reconnects). @default 1800000 */
  ttl?: number;
  /**
   * Sent as the last event when `ttl` is reached (a job's `timeout`), after what is already
   * queued; then the stream closes. @default none: the stream just closes
   */
  farewell?: TopicEvent;
  /** Dropped when the socket takes no write for this many ms. @default 30000 */
  writeTimeout?: number;
  /** The stream closes at this time (ms since the epoch): the token that opened it expires. */
  deadline?: number | undefined;
  /** Rewrites each event's data before it is sent (a watch link hides the topic's name). */
  mapData?: ((data: unknown) => unknown) | undefined;
  /**
   * The request's signal: its abort closes the spectator as a cancel does (some runtimes signal
   * only one of them). The listener is removed on close, since a runtime may keep a signal that
   * has listeners alive (Bun does), and with it this spectator.
   */
  signal?: AbortSignal;
  /** Called once when the spectator is gone, whatever the reason. */
  onClose?: (reason: SpectatorCloseReason) => void;
  /** The reconnecting client's `Last-Event-ID`, handed to the topic's greeting. */
  lastEventId?: string | null | undefined;
  /**
   * Bytes of live events (besides the greeting) that may wait for the socket. Past it the
   * spectator takes no more events, sends what it holds and a comment, and closes: a client
   * that reconnects with `Last-Event-ID` resumes from there. @default unbounded
   */
  maxQueueBytes?: number;
}

/**
 * One SSE spectator of a {@linkcode Topic}: {@linkcode Spectator.stream} is the response body.
 *
 * It never blocks the topic: the topic's events land in an {@linkcode Outbox} that the runtime
 * drains at the socket's pace. Events listed in `latestWins` (progress) occupy one slot that a
 * newer one overwrites where it stands; every other event (state, done, error) supersedes an
 * unsent progress and is never dropped, except the audience count (`spectators`), which has a
 * latest-wins slot of its own (it supersedes no progress, and a terminal event makes it moot).
 * The
 * stream starts with `retry: 2000` and the topic's greeting, and closes after a terminal
 * event, after `ttl` or at the `deadline` (the expiry of the token that opened it), or is
 * errored when the socket takes no write for `writeTimeout` while events wait. With `mapData`, each event's data
 * is rewritten before it is encoded (a watch link's spectators never see the name).
 * Cancelling the stream (the client went away) unsubscribes; `close()` is safe to call twice.
 * With `maxQueueBytes`, queued events are bounded too (for kinds whose every event counts, such
 * as process output): a spectator that falls that far behind is closed after what it holds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PipeTopic } from "../pipe/pipe_topic.ts";
 * import { Spectator } from "./spectator.ts";
 * const topic = new PipeTopic("p");
 * const spectator = new Spectator(topic);
 * topic.fail("Sender disconnected");
 * const text = await new Response(spectator.stream).text();
 * assert.match(text, /^retry: 2000\n\nid: \S+\.0\nevent: state\n.*\n\nid: \S+\.1\nevent: error\n/s);
 * ```
 */
export class Spectator {
  /** The SSE body. */
  readonly stream: ReadableStream<Uint8Array>;
  #topic: Topic;
  #options: SpectatorOptions;
  #latestWins: ReadonlySet<string>;
  #outbox: Outbox<Uint8Array>;
  #ending = false;
  #overflowed = false;
  #closed = false;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  /** The socket asked for bytes (a `pull`) and got none yet. */
  #wanted = false;
  /** Waiting in {@linkcode flushQueue} for the end of this tick. */
  #queued = false;
  #wroteSinceBeat = true;
  #stopBeat: () => void;
  #ttl: ReturnType<typeof setTimeout>;
  #unsubscribe: () => void;
  #onAbort = () => this.close("cancel");

  /**
   * A topic another node owns is `lost` when Redis goes away: the stream ends after a comment
   * saying so, and EventSource reconnects (to a fresh subscription once Redis is back).
   */
  #onLost(): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#outbox.supersede(PROGRESS_SLOT, LOST);
    this.#outbox.discard(AUDIENCE_SLOT);
    this.#wake();
  }

  constructor(topic: Topic, options: SpectatorOptions = {}) {
    this.#topic = topic;
    this.#options = options;
    this.#latestWins = new Set(options.latestWins ?? ["progress"]);
    this.#outbox = new Outbox({
      writeTimeout: options.writeTimeout ?? 30_000,
      // Too far behind: take nothing more, send what is held and a comment, then end.
      onOverflow: () => {
        this.#ending = true;
        this.#overflowed = true;
        this.#outbox.push(OVERFLOW);
      },
      onStall: () => this.close("write-timeout"),
    });
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => {
        this.#wanted = true;
        this.#service();
      },
      cancel: () => this.close("cancel"),
    }, { highWaterMark: 0 });
    this.#outbox.push(RETRY);
    for (const event of topic.greeting({ lastEventId: options.lastEventId })) {
      this.#onEvent(event);
    }
    // The greeting is bounded by the topic (a process's ring); the bound is on what comes after.
    if (options.maxQueueBytes !== undefined) this.#outbox.limit(options.maxQueueBytes);
    this.#unsubscribe = topic.subscribe((event) => {
      if (event.type === "lost") this.#onLost();
      else this.#onEvent(event as TopicEvent);
    });
    this.#stopBeat = every(options.heartbeat ?? 15_000, () => {
      // Only into an empty slot: a keepalive in the latest-wins slot would replace the newest
      // progress a slow socket has not taken yet, and anything waiting is a sign of life anyway.
      if (!this.#wroteSinceBeat && this.#outbox.waiting === 0) {
        this.#outbox.replace(PROGRESS_SLOT, KEEPALIVE);
        this.#wake();
      }
      this.#wroteSinceBeat = false;
    });
    const ttl = options.ttl ?? 30 * 60_000;
    const untilDeadline = (options.deadline ?? Infinity) - Date.now();
    this.#ttl = untilDeadline < ttl
      ? setTimeout(() => this.close("deadline"), Math.max(0, untilDeadline))
      : setTimeout(() => {
        if (options.farewell) this.#onEvent(options.farewell);
        else this.close("ttl");
      }, ttl);
    options.signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Ends the stream and unsubscribes. Safe to call twice. */
  close(reason: SpectatorCloseReason = "end"): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.signal?.removeEventListener("abort", this.#onAbort);
    this.#unsubscribe();
    this.#stopBeat();
    clearTimeout(this.#ttl);
    this.#outbox.close();
    try {
      if (reason === "write-timeout") {
        this.#controller.error(new Error("Spectator took no write in time"));
      } else if (reason !== "cancel") {
        this.#controller.close();
      }
    } catch {
      // already closed by the consumer
    }
    this.#options.onClose?.(reason);
  }

  #onEvent(event: TopicEvent): void {
    // Nothing follows a terminal event or the farewell.
    if (this.#ending) return;
    if (event.terminal || event === this.#options.farewell) this.#ending = true;
    const map = this.#options.mapData;
    const frame = map ? event.frameWith(map) : event.frame;
    if (event.type === AUDIENCE_EVENT) this.#outbox.replaceAside(AUDIENCE_SLOT, frame);
    else if (this.#latestWins.has(event.type)) this.#outbox.replace(PROGRESS_SLOT, frame);
    else {
      this.#outbox.supersede(PROGRESS_SLOT, frame);
      // Nothing goes out after the last frame.
      if (this.#ending) this.#outbox.discard(AUDIENCE_SLOT);
    }
    this.#wake();
  }

  /**
   * Something waits: once the socket wants bytes, at the end of this tick (so that the events of
   * one tick go out in one write, and one microtask serves every spectator that got one).
   */
  #wake(): void {
    if (!this.#wanted || this.#queued) return;
    this.#queued = true;
    flushQueue.push(this);
    if (flushQueue.length === 1) queueMicrotask(flushAll);
  }

  /** Called by {@linkcode flushAll}. */
  static flush(spectator: Spectator): void {
    spectator.#queued = false;
    spectator.#service();
  }

  /** Hands the socket what waits, if it wants bytes; closes after the end. */
  #service(): void {
    if (this.#closed || !this.#wanted) return;
    // Up to ~64 KiB in one chunk: one write for a burst of lines.
    const frames = this.#outbox.takeUpTo(65_536);
    if (frames.length > 0) {
      this.#wanted = false;
      this.#wroteSinceBeat = true;
      this.#controller.enqueue(frames.length === 1 ? frames[0]! : join(frames));
    } else if (this.#ending) {
      this.close(this.#overflowed ? "overflow" : "end");
    }
  }
}

/** Spectators with something to send this tick, served by one microtask. */
const flushQueue: Spectator[] = [];

function flushAll(): void {
  // A spectator served here may queue again (a later tick's event): only those queued now.
  const count = flushQueue.length;
  for (let i = 0; i < count; i++) Spectator.flush(flushQueue[i]!);
  flushQueue.splice(0, count);
  if (flushQueue.length > 0) queueMicrotask(flushAll);
}

function join(frames: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const frame of frames) size += frame.length;
  const chunk = new Uint8Array(size);
  let offset = 0;
  for (const frame of frames) {
    chunk.set(frame, offset);
    offset += frame.length;
  }
  return chunk;
}
