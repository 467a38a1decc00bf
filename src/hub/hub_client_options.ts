import type { Topic } from "../progress/topic.ts";
import type { Channel } from "./channel.ts";

/** The socket of one hub connection, as the runtime's WebSocket gives it. */
export interface HubSocket {
  /** Sends one text frame; never blocks (the runtime buffers it). */
  send(text: string): void;
  /** Bytes handed to `send` and not yet written to the network. */
  bufferedAmount(): number;
  /** Closes with a close frame. */
  close(code: number, reason: string): void;
  /** Drops the connection at once (a client that does not read cannot take a close frame). */
  terminate(): void;
  /**
   * Runs `send`, whose `send` calls the runtime may write with one syscall (Bun's `cork`);
   * without it, each message is written as it is sent.
   */
  cork?: ((send: () => void) => void) | undefined;
}

/** What a channel resolves to: the topic and the id its messages carry. */
export interface Resolved {
  topic: Topic;
  /** The name, or the watch id on a watch channel. */
  id: string;
  /** Gives the topic back when the subscription ends (a topic another node owns). */
  release?: (() => void) | undefined;
}

/** What a valid token allows on the hub. */
export interface TokenGrant {
  /** Whether the token may watch `kind:name`. */
  allows(kind: string, name: string): boolean;
  /** When the token stops being valid (ms since the epoch; the connection closes then), or `null`. */
  expiresAt: number | null;
}

/** A grant for every channel that never expires (a configured `--token`). */
export const FULL_GRANT: TokenGrant = { allows: () => true, expiresAt: null };

/** What a {@linkcode HubClient} needs from its hub. */
export interface HubClientOptions {
  /**
   * The topic behind a channel.
   * @throws {Error} with a one-line message (unknown job, too many topics…).
   */
  resolve(channel: Channel): Resolved | Promise<Resolved>;
  /** Counts a spectator of a topic (the tracker's limits); returns its release. @throws {Error} */
  subscribe(topic: Topic, close: () => void): () => void;
  /** Whether channels other than `watch:` need a token (`--private`). */
  private: boolean;
  /** What a token allows, or why it is refused (one line: `Invalid token`, `Token expired`). */
  checkToken(token: string): Promise<TokenGrant | string>;
  /** What the token given when connecting (`?token=`) allows, if any. */
  grant: TokenGrant | null;
  /** Dropped after this many ms with a full send buffer and nothing sent. @default 30000 */
  writeTimeout?: number;
  /** Called when a channel gains or loses this client's subscription. */
  onSubscription?(channel: string, delta: 1 | -1): void;
  /** Called once when the client is gone. */
  onClose?(): void;
}
