import type { Topic } from "../progress/topic.ts";
import type { Entry, TopicKind, Tracker } from "../tracker.ts";
import type { Channel } from "./channel.ts";
import { HubClient, type HubSocket, type Resolved, type TokenGrant } from "./hub_client.ts";

/** Topics other nodes own (the Redis bridge): each `remote` is matched by one `release`. */
export interface RemoteTopics {
  /** The topic another node owns, or `null` when no node has it. @throws when unreachable */
  remote(kind: string, name: string): Promise<Topic | null>;
  release(topic: Topic): void;
}

/** Options for {@linkcode Hub}. */
export interface HubOptions {
  /** Channels other than `watch:` need a token. @default false */
  private?: boolean;
  /**
   * What a token allows, or why it is refused (one line). @default every token is invalid
   */
  checkToken?: (token: string) => Promise<TokenGrant | string>;
  /** The topic behind a watch id, or none when no topic has it. @default no watch links */
  resolveWatch?: (
    watchId: string,
  ) => Promise<{ kind: TopicKind; name: string } | null | undefined>;
  /** A client whose send buffer stays full this long is dropped. @default 30000 */
  writeTimeout?: number;
  /** Topics other nodes own, for channels this node does not have. @default one node */
  remote?: RemoteTopics | undefined;
  /**
   * How each kind resolves a channel naming a topic this node and the others do not have
   * (`WATCH`: a pipe is made to wait on, a job or process is not found). @default none: not found
   */
  watch?: Readonly<Partial<Record<TopicKind, (tracker: Tracker, name: string) => Entry>>>;
}

/** What `GET /api/v1/stats` says of the hub. */
export interface HubStats {
  /** WebSocket connections now. */
  clients: number;
  /** Subscriptions on every connection now. */
  subscriptions: number;
  /** Subscribers of each channel with at least one. */
  subscribers: Record<string, number>;
}

/**
 * The WebSocket hub: many connections, each with many channels over the topics of the
 * {@linkcode Tracker}. A channel naming a topic nobody has is resolved as its kind says
 * (`HubOptions.watch`): a pipe channel waits for a pipe that does not exist yet (an idle pipe
 * is made, as for an SSE spectator); a job or process channel must name one that exists.
 * Every subscription is a spectator of its topic, counted by the tracker against the same
 * limits as SSE.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { Tracker } from "../tracker.ts";
 * import { WATCH } from "../topic_kinds.ts";
 * import { Hub } from "./hub.ts";
 * const tracker = new Tracker(defaultConfig());
 * const hub = new Hub(tracker, { watch: WATCH });
 * const sent: string[] = [];
 * const client = hub.connect({
 *   send: (text) => sent.push(text), bufferedAmount: () => 0, close() {}, terminate() {},
 * });
 * await client.receive('{"type":"subscribe","data":"pipe:p"}');
 * assert.deepEqual(hub.stats(), { clients: 1, subscriptions: 1, subscribers: { "pipe:p": 1 } });
 * assert.equal(tracker.stats().spectators, 1);
 * client.close();
 * assert.equal(tracker.stats().pipes, 0);
 * ```
 */
export class Hub {
  #tracker: Tracker;
  #options: HubOptions;
  #clients = new Set<HubClient>();
  #subscribers = new Map<string, number>();

  constructor(tracker: Tracker, options: HubOptions = {}) {
    this.#tracker = tracker;
    this.#options = options;
  }

  /** What a token allows, or why it is refused. */
  checkToken(token: string): Promise<TokenGrant | string> {
    return this.#options.checkToken?.(token) ?? Promise.resolve("Invalid token");
  }

  /** A new connection; `grant` is what the token it connected with allows. */
  connect(socket: HubSocket, grant: TokenGrant | null = null): HubClient {
    const client: HubClient = new HubClient(socket, {
      resolve: (channel) => this.#resolve(channel),
      subscribe: (topic, close) => this.#tracker.subscribe(topic, close),
      private: this.#options.private ?? false,
      checkToken: (token) => this.checkToken(token),
      grant,
      writeTimeout: this.#options.writeTimeout ?? 30_000,
      onSubscription: (channel, delta) => {
        const count = (this.#subscribers.get(channel) ?? 0) + delta;
        if (count > 0) this.#subscribers.set(channel, count);
        else this.#subscribers.delete(channel);
      },
      onClose: () => this.#clients.delete(client),
    });
    this.#clients.add(client);
    return client;
  }

  /** Connections, subscriptions and each channel's subscribers now. */
  stats(): HubStats {
    let subscriptions = 0;
    for (const count of this.#subscribers.values()) subscriptions += count;
    return {
      clients: this.#clients.size,
      subscriptions,
      subscribers: Object.fromEntries(this.#subscribers),
    };
  }

  /** Closes every connection (shutdown). */
  close(): void {
    for (const client of [...this.#clients]) client.close(1001, "Server is shutting down");
  }

  async #resolve(channel: Channel): Promise<Resolved> {
    if (channel.kind === "watch") {
      const target = await this.#options.resolveWatch?.(channel.name);
      if (!target) throw new Error(`Unknown watch link '${channel.name}'`);
      try {
        return { ...await this.#topic(target.kind, target.name), id: channel.name };
      } catch (error) {
        // A watch link never reveals the name, not even in why it cannot be watched.
        const { kind, name } = target;
        const message = (error as Error).message.replaceAll(
          `'${kind}:${name}'`,
          `'${channel.name}'`,
        )
          .replaceAll(`'${name}'`, `'${channel.name}'`);
        throw new Error(message);
      }
    }
    return { ...await this.#topic(channel.kind, channel.name), id: channel.name };
  }

  async #topic(kind: TopicKind, name: string): Promise<Omit<Resolved, "id">> {
    const entry = this.#tracker.find(kind, name);
    if (entry) return { topic: entry.topic };
    const remotes = this.#options.remote;
    if (remotes) {
      let remote: Topic | null;
      try {
        remote = await remotes.remote(kind, name);
      } catch {
        throw new Error(`Other nodes cannot be reached: '${kind}:${name}' is not on this one`);
      }
      if (remote) return { topic: remote, release: () => remotes.release(remote) };
    }
    // The kind says: made for spectators to wait on (a pipe), or not found. A watch link in
    // Redis may name a kind this node does not have.
    const kinds = this.#options.watch ?? {};
    const watch = Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
    if (!watch) throw new Error(`'${kind}:${name}' not found`);
    return { topic: watch(this.#tracker, name).topic };
  }
}
