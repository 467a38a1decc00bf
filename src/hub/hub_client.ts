import type { Topic, TopicEvent } from "../progress/topic.ts";
import { Outbox } from "../sse/outbox.ts";
import { parseInbound } from "./inbound.ts";
import { parseChannel } from "./channel.ts";
import { type ChannelView, hubMessages } from "./messages.ts";

import type { HubClientOptions, HubSocket, TokenGrant } from "./hub_client_options.ts";
export { FULL_GRANT } from "./hub_client_options.ts";
export type { HubClientOptions, HubSocket, Resolved, TokenGrant } from "./hub_client_options.ts";

/** An inbound frame over this many bytes closes the connection (1009). */
export const MAX_FRAME_BYTES = 64 * 1024;
/** More subscriptions than this on one connection is an `error` message. */
export const MAX_SUBSCRIPTIONS = 128;
/** While the runtime buffers more than this for the socket, messages wait in the client. */
const HIGH_WATER = 1024 * 1024;
/** Messages waiting in the client past this many bytes: the client is too far behind. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/** How often a backpressured client is looked at again (no runtime has a portable drain event). */
const RETRY_MS = 25;
/** The longest delay a timer takes: past it, runtimes fire at once (a JWT valid for 30 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Subscription {
  topic: Topic;
  view: ChannelView;
  /** Stops the topic's events (set once the greeting went out). */
  unsubscribe: () => void;
  release: () => void;
}

const encoder = new TextEncoder();

/**
 * One WebSocket connection to the hub: its subscriptions and its send queue.
 *
 * Inbound messages are handled one at a time in arrival order (`auth` may wait for a token
 * check). What one tick produces goes out at its end, together (corked into one write on Bun:
 * a burst of process lines is one syscall, not one each). Topic events never wait for the
 * socket: while the runtime buffers more than 1 MiB for
 * it, messages wait in an {@linkcode Outbox} — a channel's progress snapshots in one latest-wins
 * slot (a newer one replaces it in place), process lines and every other message in order. A
 * client whose buffer stays full for `writeTimeout` with nothing sent, or that falls more than
 * 8 MiB (of UTF-16 units) behind, is dropped (the connection is terminated, not closed politely: it does not read). `close()` and
 * the socket going away release every subscription; both are safe to call twice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PipeTopic } from "../pipe/pipe_topic.ts";
 * import { HubClient } from "./hub_client.ts";
 * const sent: string[] = [];
 * const topic = new PipeTopic("p");
 * const client = new HubClient({
 *   send: (text) => sent.push(text), bufferedAmount: () => 0, close() {}, terminate() {},
 * }, {
 *   resolve: ({ name }) => ({ topic, id: name }),
 *   subscribe: () => () => {},
 *   private: false,
 *   checkToken: () => Promise.resolve("Invalid token"),
 *   grant: null,
 * });
 * await client.receive('{"type":"subscribe","data":"pipe:p"}');
 * topic.fail("Sender disconnected");
 * await Promise.resolve(); // messages go out at the end of the tick
 * assert.deepEqual(sent.map((text) => JSON.parse(text).type),
 *   ["subscribed", "pipe_progress", "pipe_progress", "unsubscribed"]);
 * client.close();
 * ```
 */
export class HubClient {
  #socket: HubSocket;
  #options: HubClientOptions;
  #grant: TokenGrant | null = null;
  #expiry: ReturnType<typeof setTimeout> | undefined;
  #subscriptions = new Map<string, Subscription>();
  #outbox: Outbox<string>;
  #inbox: Promise<void> = Promise.resolve();
  #retry: ReturnType<typeof setTimeout> | undefined;
  /** A flush is due at the end of this tick. */
  #flushing = false;
  #closed = false;

  constructor(socket: HubSocket, options: HubClientOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#outbox = new Outbox({
      maxBytes: MAX_QUEUED_BYTES,
      writeTimeout: options.writeTimeout ?? 30_000,
      onOverflow: () => this.#drop(),
      onStall: () => this.#drop(),
    });
    this.#grantWith(options.grant);
  }

  /** Channels this client is subscribed to now. */
  get subscriptions(): number {
    return this.#subscriptions.size;
  }

  /**
   * Handles one inbound frame. Resolves when it (and every frame before it) was handled. A
   * frame over 64 KiB closes the connection with 1009.
   */
  receive(data: unknown): Promise<void> {
    if (this.#closed) return this.#inbox;
    const size = typeof data === "string"
      ? (data.length * 3 <= MAX_FRAME_BYTES ? 0 : encoder.encode(data).length)
      : data instanceof ArrayBuffer
      ? data.byteLength
      : data instanceof Blob
      ? data.size
      : 0;
    if (size > MAX_FRAME_BYTES) {
      this.close(1009, `Frame over ${MAX_FRAME_BYTES} bytes`);
      return this.#inbox;
    }
    this.#inbox = this.#inbox.then(() => this.#handle(data));
    return this.#inbox;
  }

  /**
   * Ends the connection with a close frame (`code`, `reason`): every subscription is released.
   * Safe to call twice.
   */
  close(code = 1000, reason = ""): void {
    if (this.#release()) quietly(() => this.#socket.close(code, reason));
  }

  /** Cuts off a client that does not read (too far behind, or stalled): it takes no close frame. */
  #drop(): void {
    if (this.#release()) quietly(() => this.#socket.terminate());
  }

  /** The socket went away (the runtime's close event): releases everything, sends nothing. */
  gone(): void {
    this.#release();
  }

  /** Releases every subscription and timer once; `false` when that was done before. */
  #release(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    for (const channel of [...this.#subscriptions.keys()]) this.#end(channel, false);
    clearTimeout(this.#retry);
    clearTimeout(this.#expiry);
    this.#outbox.close();
    this.#options.onClose?.();
    return true;
  }

  async #handle(data: unknown): Promise<void> {
    if (this.#closed) return;
    const message = parseInbound(data);
    if (typeof message === "string") return this.#error(message);
    switch (message.type) {
      case "ping":
        return this.#send(JSON.stringify({ type: "pong" }));
      case "subscribe":
        return this.#subscribe(message.channel);
      case "unsubscribe":
        return this.#unsubscribe(message.channel);
      case "auth": {
        const grant = await this.#options.checkToken(message.token);
        if (typeof grant === "string") return this.#error(grant);
        return this.#grantWith(grant);
      }
    }
  }

  /** Takes a token's grant; the connection closes when the token expires. */
  #grantWith(grant: TokenGrant | null): void {
    this.#grant = grant;
    clearTimeout(this.#expiry);
    if (grant?.expiresAt != null) this.#expireAt(grant.expiresAt);
  }

  /** Closes the connection at `expiresAt`, however far off (a timer takes at most 2^31-1 ms). */
  #expireAt(expiresAt: number): void {
    const left = expiresAt - Date.now();
    this.#expiry = left > MAX_TIMER_MS
      ? setTimeout(() => this.#expireAt(expiresAt), MAX_TIMER_MS)
      : setTimeout(() => this.close(1008, "Token expired"), Math.max(0, left));
  }

  async #subscribe(name: string): Promise<void> {
    if (this.#subscriptions.has(name)) return this.#ack("subscribed", name);
    if (this.#subscriptions.size >= MAX_SUBSCRIPTIONS) {
      return this.#error(
        `Too many subscriptions on this connection (at most ${MAX_SUBSCRIPTIONS})`,
      );
    }
    let topic: Topic;
    let view: ChannelView;
    let release: () => void;
    try {
      const channel = parseChannel(name);
      if (this.#options.private && channel.kind !== "watch") {
        if (!this.#grant) {
          throw new Error(
            `A token is needed to watch '${name}': connect with ?token= or send {"type":"auth","data":TOKEN}`,
          );
        }
        if (!this.#grant.allows(channel.kind, channel.name)) {
          throw new Error(`The token may not watch '${name}'`);
        }
      }
      const resolved = await this.#options.resolve(channel);
      topic = resolved.topic;
      view = { channel: name, id: resolved.id };
      try {
        const counted = this.#options.subscribe(topic, () => this.#end(name, true));
        release = () => {
          counted();
          resolved.release?.();
        };
      } catch (error) {
        resolved.release?.();
        // On a watch channel the refusal says the watch id, never the name it stands for.
        const message = (error as Error).message;
        throw new Error(
          resolved.id === topic.name
            ? message
            : message.replaceAll(`'${topic.name}'`, `'${resolved.id}'`),
        );
      }
      // The client may have left while another node was asked (through Redis): the count is
      // still taken and given back, so that the tracker forgets an idle pipe the lookup made.
      if (this.#closed || this.#subscriptions.has(name)) {
        release();
        return this.#closed ? undefined : this.#ack("subscribed", name);
      }
    } catch (error) {
      return this.#error((error as Error).message);
    }
    const listener = (event: Event) => {
      // A topic another node owns is `lost` when Redis goes away: say so and end the
      // subscription; subscribing again works once Redis is back.
      if (event.type !== "lost") return this.#deliver(name, event as TopicEvent);
      this.#error(`Other nodes cannot be reached (redis unavailable): '${name}' ended`);
      this.#end(name, true);
    };
    const subscription: Subscription = { topic, view, unsubscribe: () => {}, release };
    this.#subscriptions.set(name, subscription);
    this.#options.onSubscription?.(name, 1);
    this.#ack("subscribed", name);
    // Two events of a greeting may make one message (a job's progress and its audience count
    // are each the job's snapshot): the same message twice in a row is sent once.
    let previous: string | undefined;
    for (const event of topic.greeting()) {
      previous = this.#deliver(name, event, previous);
      if (!this.#subscriptions.has(name)) return;
    }
    subscription.unsubscribe = topic.subscribe(listener);
  }

  /**
   * Ends a subscription. Unsubscribing from a channel this client is not subscribed to (any
   * more: a process's final status ended it, with `unsubscribed`, before the client's own
   * `unsubscribe` arrived) answers `unsubscribed` too: that is what the client wanted. A channel
   * that could never be subscribed to is an `error`.
   */
  #unsubscribe(name: string): void {
    if (this.#subscriptions.has(name)) return this.#end(name, true);
    try {
      parseChannel(name);
    } catch (error) {
      return this.#error((error as Error).message);
    }
    this.#ack("unsubscribed", name);
  }

  /** Ends one subscription; `tell` sends `unsubscribed`. */
  #end(name: string, tell: boolean): void {
    const subscription = this.#subscriptions.get(name);
    if (!subscription) return;
    this.#subscriptions.delete(name);
    subscription.unsubscribe();
    subscription.release();
    this.#options.onSubscription?.(name, -1);
    if (tell) this.#ack("unsubscribed", name);
  }

  /** Sends an event's messages, but not one whose text is `repeated`; returns the last text. */
  #deliver(name: string, event: TopicEvent, repeated?: string): string | undefined {
    const subscription = this.#subscriptions.get(name);
    if (!subscription) return;
    let last = repeated;
    for (const message of hubMessages(subscription.topic, event, subscription.view)) {
      if (message.final || message.text !== last) {
        // A channel's snapshot waits in its latest-wins slot; its other messages take its place.
        if (message.latestWins) this.#outbox.replace(name, message.text);
        else this.#outbox.supersede(name, message.text);
        this.#schedule();
      }
      last = message.text;
      if (message.final) {
        this.#end(name, true);
        break;
      }
    }
    return last;
  }

  #ack(type: "subscribed" | "unsubscribed", channel: string): void {
    this.#send(JSON.stringify({ type, data: channel }));
  }

  #error(message: string): void {
    this.#send(JSON.stringify({ type: "error", data: message }));
  }

  #send(text: string): void {
    this.#outbox.push(text);
    this.#schedule();
  }

  /**
   * Sends what waits at the end of this tick: the messages of one tick (a burst of process
   * lines) go out together, corked into one write where the runtime can.
   */
  #schedule(): void {
    if (this.#flushing || this.#retry !== undefined) return;
    this.#flushing = true;
    queueMicrotask(() => {
      this.#flushing = false;
      this.#corked();
    });
  }

  #corked(): void {
    if (this.#socket.cork) this.#socket.cork(() => this.#flush());
    else this.#flush();
  }

  /** Sends what the socket takes; while its buffer is full, looks again every 25 ms. */
  #flush(): void {
    if (this.#retry !== undefined) return;
    // The buffered amount is asked once per 64 KiB sent, not once per message.
    let budget = 0;
    while (this.#outbox.waiting > 0 && !this.#closed) {
      if (budget <= 0) {
        const buffered = this.#socket.bufferedAmount();
        if (buffered >= HIGH_WATER) {
          this.#retry ??= setTimeout(() => {
            this.#retry = undefined;
            this.#corked();
          }, RETRY_MS);
          return;
        }
        budget = Math.min(HIGH_WATER - buffered, 65_536);
      }
      const text = this.#outbox.take()!;
      budget -= text.length;
      try {
        this.#socket.send(text);
      } catch {
        return this.gone();
      }
    }
  }
}

function quietly(act: () => void): void {
  try {
    act();
  } catch {
    // already gone
  }
}
