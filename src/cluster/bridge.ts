import { createClient } from "redis";
import type { Log } from "../log.ts";
import type { Topic, TopicEvent } from "../progress/topic.ts";
import { TypedEventTarget } from "../typed_events.ts";
import { RemoteTopic } from "./remote_topic.ts";
import {
  parseWire,
  SECRET_KEY,
  topicKey,
  watchKey,
  type WireEvent,
  type WireRecord,
} from "./wire.ts";

/** Options for {@linkcode Bridge}. */
export interface BridgeOptions {
  /** `redis://HOST:PORT`. */
  url: string;
  /** This node's name, written into the records it owns. */
  node: string;
  /** How long an ended topic's record (and watch link) outlives it, in ms. */
  retention: number;
  /** Output lines a remote process keeps for new spectators. @default 1000 */
  historyLines?: number;
  /** Bytes of output line text a remote process keeps for new spectators. @default 1048576 */
  historyBytes?: number;
  /** A record is rewritten at most this often while events flow, in ms. @default 250 */
  recordInterval?: number;
  log?: Log;
}

type Client = ReturnType<typeof createClient>;

interface Remote {
  topic: RemoteTopic;
  users: number;
  listener: (message: string) => void;
  /** Lost with Redis: takes no more messages. */
  dead: boolean;
}

function wireOf(event: TopicEvent): Omit<WireEvent, "seq" | "run"> {
  const id = (event as TopicEvent & { id?: string | null }).id ?? null;
  return { type: event.type, data: event.data, id, terminal: event.terminal };
}

/**
 * Joins this node to the others through Redis (`--redis`, `--node`).
 *
 * The owner of a topic {@linkcode Bridge.share}s it: every event is published on the topic's
 * channel, and a record (greeting, snapshot, the last message covered) is kept under the
 * topic's key, written when shared, rewritten at most every `recordInterval` while events flow
 * and at the end, and expiring `retention` after the end. Another node serves the topic's
 * spectators from a {@linkcode RemoteTopic}: it subscribes first, then reads the record, and
 * drops the messages the record already covers, so every event reaches it once, in order.
 *
 * Nothing a sender or publisher does waits on Redis: publishing is fire-and-forget, and with
 * Redis gone commands fail at once instead of queueing (`disableOfflineQueue`); each node goes on
 * serving what it owns.
 *
 * The bridge dispatches `lost` whenever the link to Redis is lost (never after `close`);
 * remote topics' spectators are told and dropped then (each remote topic's own `lost`): they
 * reconnect.
 */
export class Bridge extends TypedEventTarget<{ lost: Event; [type: string]: Event }> {
  #options: BridgeOptions;
  #pub: Client;
  #sub: Client;
  #remotes = new Map<string, Promise<Remote | null>>();
  /** Each topic shared: what stops its sharing while it runs, `null` once it has stopped. */
  #shared = new WeakMap<Topic, (() => void) | null>();
  #ready = false;
  #closed = false;
  /** Channels of lost remote topics, unsubscribed once Redis is back. */
  #stale: [string, (message: string) => void][] = [];

  private constructor(options: BridgeOptions) {
    super((error, event) =>
      options.log?.(`${event.type} listener failed`, { node: options.node, error: String(error) })
    );
    this.#options = options;
    const settings = {
      url: options.url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) },
    };
    this.#pub = createClient(settings);
    this.#sub = this.#pub.duplicate();
    for (const client of [this.#pub, this.#sub]) {
      client.on("error", () => this.#down("error"));
      client.on("end", () => this.#down("end"));
      client.on("ready", () => {
        const wasDown = !this.#ready;
        this.#ready = this.#pub.isReady && this.#sub.isReady;
        if (this.#ready && wasDown) {
          options.log?.("redis connected", { node: options.node });
          for (const [key, listener] of this.#stale.splice(0)) {
            this.#sub.unsubscribe(key, listener).catch(() => {});
          }
        }
      });
    }
  }

  /**
   * Connects to Redis. Resolves once connected, or after `timeout` ms with the bridge still
   * trying in the background (the node serves what it owns meanwhile).
   */
  static async connect(options: BridgeOptions, timeout = 5000): Promise<Bridge> {
    const bridge = new Bridge(options);
    const connecting = Promise.all([bridge.#pub.connect(), bridge.#sub.connect()]).then(
      () => true,
      () => false,
    );
    await Promise.race([connecting, new Promise((resolve) => setTimeout(resolve, timeout))]);
    return bridge;
  }

  /** Whether both connections to Redis are up. */
  get connected(): boolean {
    return this.#ready;
  }

  /**
   * The cluster's shared watch-link secret: the first node stores a random one (`SET NX`), the
   * others read it. `null` when Redis cannot be reached.
   */
  async sharedSecret(): Promise<string | null> {
    try {
      const random = crypto.randomUUID() + crypto.randomUUID();
      await this.#pub.set(SECRET_KEY, random, { NX: true });
      return await this.#pub.get(SECRET_KEY);
    } catch {
      return null;
    }
  }

  /** The `kind:name` behind a watch id, from Redis; `null` when unknown or Redis is gone. */
  async resolveWatch(watchId: string): Promise<string | null> {
    try {
      return await this.#pub.get(watchKey(watchId));
    } catch {
      return null;
    }
  }

  /**
   * Publishes `topic` (owned by this node) to the cluster for as long as it runs, and keeps its
   * record and watch link. Resolves once the first record is written, or at once when Redis is
   * gone (the owner's work never waits on Redis).
   */
  share(topic: Topic, watchId?: string): Promise<void> {
    if (this.#shared.has(topic)) return Promise.resolve();
    const { node, retention } = this.#options;
    const interval = this.#options.recordInterval ?? 250;
    const key = topicKey(topic.kind, topic.name);
    const run = crypto.randomUUID().slice(0, 8);
    const replay = topic.replay;
    let seq = 0;
    let pending: ReturnType<typeof setTimeout> | null = null;
    const write = (): Promise<void> => {
      pending = null;
      const record: WireRecord = {
        seq,
        run,
        node,
        greeting: topic.greeting().map(wireOf),
        snapshot: topic.snapshot(),
        state: topic.state,
        ended: topic.ended,
        eventTypes: [...topic.eventTypes],
        replay,
      };
      // While the topic runs, its record must outlive quiet spells; after the end, retention.
      const px = topic.ended ? retention : Math.max(retention, 2 * keepAliveMs);
      const writes = [this.#pub.set(key, JSON.stringify(record), { PX: px })];
      if (watchId) {
        writes.push(this.#pub.set(watchKey(watchId), `${topic.kind}:${topic.name}`, { PX: px }));
      }
      return Promise.all(writes).then(() => {}, () => {});
    };
    const keepAliveMs = Math.max(1000, Math.floor(retention / 2));
    const keepAlive = setInterval(() => pending ?? write(), keepAliveMs);
    const stop = () => {
      this.#shared.set(topic, null);
      clearInterval(keepAlive);
      if (pending) clearTimeout(pending);
      pending = null;
      for (const type of topic.eventTypes) topic.removeEventListener(type, listener);
    };
    const listener = (event: Event) => {
      const topicEvent = event as TopicEvent;
      seq++;
      const wire: WireEvent = { seq, run, ...wireOf(topicEvent) };
      if (replay.snapshot === "message") {
        // The snapshot the event was dispatched with, the very one the hub sends here.
        wire.snapshot = topicEvent.snapshot;
        wire.state = topic.state;
      }
      this.#pub.publish(key, JSON.stringify(wire)).catch(() => {});
      if (topicEvent.terminal) {
        stop();
        write();
      } else {
        pending ??= setTimeout(write, interval);
      }
    };
    for (const type of topic.eventTypes) topic.addEventListener(type, listener);
    const written = write();
    // An ended run's record is written once, then left to expire after retention.
    if (topic.ended) stop();
    else {
      this.#shared.set(topic, () => {
        stop();
        this.#pub.del(watchId ? [key, watchKey(watchId)] : [key]).catch(() => {});
      });
    }
    return written;
  }

  /**
   * This node forgot `topic` while its run had not ended (an idle pipe nobody uses any more):
   * its record and watch link are deleted and no longer refreshed. A run that ended keeps its
   * record until it expires; a topic not shared yet will not be.
   */
  unshare(topic: Topic): void {
    this.#shared.get(topic)?.();
    this.#shared.set(topic, null);
  }

  /**
   * A topic another node owns, for this node's spectators: `null` when the cluster does not
   * know it. Every call must be matched by one {@linkcode Bridge.release}.
   *
   * @throws when Redis cannot be reached.
   */
  async remote(kind: string, name: string): Promise<RemoteTopic | null> {
    const key = topicKey(kind, name);
    let entry = this.#remotes.get(key);
    if (!entry) {
      entry = this.#subscribe(kind, name);
      this.#remotes.set(key, entry);
      entry.then((remote) => remote ?? this.#remotes.delete(key), () => this.#remotes.delete(key));
    }
    const remote = await entry;
    if (!remote) return null;
    remote.users++;
    return remote.topic;
  }

  /** Gives back a topic from {@linkcode Bridge.remote}; the last user unsubscribes. */
  release(topic: RemoteTopic): void {
    const key = topicKey(topic.kind, topic.name);
    this.#remotes.get(key)?.then((remote) => {
      if (!remote || remote.topic !== topic || --remote.users > 0) return;
      this.#remotes.delete(key);
      this.#sub.unsubscribe(key, remote.listener).catch(() => {});
    });
  }

  /** The current record of a topic (a fresh JSON answer), `null` when unknown or unreachable. */
  async record(kind: string, name: string): Promise<WireRecord | null> {
    try {
      return parseWire<WireRecord>(await this.#pub.get(topicKey(kind, name)));
    } catch {
      return null;
    }
  }

  /** Disconnects (shutdown). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const client of [this.#pub, this.#sub]) {
      // close() waits for replies to commands in flight, which never come while Redis is gone.
      if (client.isReady) await client.close().catch(() => {});
      else if (client.isOpen) client.destroy();
    }
  }

  async #subscribe(kind: string, name: string): Promise<Remote | null> {
    const key = topicKey(kind, name);
    const early: WireEvent[] = [];
    let topic: RemoteTopic | null = null;
    let remote: Remote | null = null;
    const listener = (message: string) => {
      if (remote?.dead) return;
      const wire = parseWire<WireEvent>(message);
      if (!wire) return;
      if (topic) topic.deliver(wire);
      else early.push(wire);
    };
    // Subscribe first, then read the record: nothing published in between is lost, and what
    // the record already covers is dropped by seq.
    await this.#sub.subscribe(key, listener);
    const record = parseWire<WireRecord>(await this.#pub.get(key));
    if (!record) {
      await this.#sub.unsubscribe(key, listener).catch(() => {});
      return null;
    }
    topic = new RemoteTopic(kind, name, record, {
      ...(this.#options.historyLines ? { historyLines: this.#options.historyLines } : {}),
      ...(this.#options.historyBytes !== undefined
        ? { historyBytes: this.#options.historyBytes }
        : {}),
    });
    for (const wire of early) topic.deliver(wire);
    remote = { topic, users: 0, listener, dead: false };
    return remote;
  }

  #down(why: string): void {
    if (!this.#ready) return;
    this.#ready = false;
    this.#options.log?.("redis unreachable", { node: this.#options.node, why });
    // Remote topics are stale from now on: their spectators are told and reconnect. Their
    // channels are unsubscribed once Redis is back (node-redis resubscribes on reconnect).
    const remotes = [...this.#remotes.entries()];
    this.#remotes.clear();
    for (const [key, entry] of remotes) {
      entry.then((remote) => {
        if (!remote) return;
        remote.dead = true;
        this.#stale.push([key, remote.listener]);
        remote.topic.lose();
      }, () => {});
    }
    if (!this.#closed) this.dispatchEvent(new Event("lost"));
  }
}
