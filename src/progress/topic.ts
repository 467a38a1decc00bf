import { LATEST_WINS, type Replay } from "./replay.ts";

const encoder = new TextEncoder();

/**
 * One event of a {@linkcode Topic}. Its SSE frame is encoded once, on first use, and the same
 * bytes go to every spectator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TopicEvent } from "./topic.ts";
 * const event = new TopicEvent("progress", { bytes: 1 });
 * assert.equal(new TextDecoder().decode(event.frame), 'event: progress\ndata: {"bytes":1}\n\n');
 * ```
 */
export class TopicEvent extends Event {
  /** The event's JSON payload. */
  readonly data: unknown;
  /** A terminal event ends the topic: spectators get it, then their stream closes. */
  readonly terminal: boolean;
  /** The SSE `id:` (what a reconnecting EventSource sends back as `Last-Event-ID`), or `null`. */
  readonly id: string | null;
  #frame: Uint8Array | undefined;
  #mapped: [(data: unknown) => unknown, Uint8Array] | undefined;
  #snapshot: unknown;
  #take: (() => unknown) | null;
  #sharedKey: string | undefined;
  #sharedValue: unknown;
  #sharedMore: Map<string, unknown> | undefined;

  /** `snapshot` takes the topic's snapshot (at the first ask of {@linkcode TopicEvent.snapshot}). */
  constructor(
    type: string,
    data: unknown,
    terminal = false,
    id: string | null = null,
    snapshot: (() => unknown) | null = null,
  ) {
    super(type);
    this.data = data;
    this.terminal = terminal;
    this.id = id;
    this.#take = snapshot;
  }

  /**
   * The topic's snapshot as this event was dispatched, whatever the kind (a job's event data is
   * what it published, not its snapshot): taken at the first ask and kept, so every listener
   * that asks during the dispatch gets the same one. After a terminal event nothing changes, so
   * a late ask of it gets the final snapshot. `undefined` for an event made without a topic.
   */
  get snapshot(): unknown {
    if (this.#take) {
      this.#snapshot = this.#take();
      this.#take = null;
    }
    return this.#snapshot;
  }

  /** `id: ID\nevent: TYPE\ndata: JSON\n\n` (no `id:` line without an id), UTF-8. */
  get frame(): Uint8Array {
    this.#frame ??= this.#encode(this.data);
    return this.#frame;
  }

  /**
   * The frame with `map(data)` as its data (a watch link hides the name). The last map's frame
   * is kept, so spectators that share one map function share one encoding.
   */
  frameWith(map: (data: unknown) => unknown): Uint8Array {
    if (this.#mapped?.[0] !== map) this.#mapped = [map, this.#encode(map(this.data))];
    return this.#mapped[1];
  }

  /**
   * What `make()` returns, made once for this event and `key` and then shared by every consumer
   * that asks with the same key (a hub channel's message: one per event, not one per client).
   * The first key costs no allocation besides the value; further keys share a map.
   */
  shared<T>(key: string, make: () => T): T {
    if (this.#sharedKey === key) return this.#sharedValue as T;
    if (this.#sharedKey === undefined) {
      this.#sharedKey = key;
      return (this.#sharedValue = make());
    }
    this.#sharedMore ??= new Map();
    if (!this.#sharedMore.has(key)) this.#sharedMore.set(key, make());
    return this.#sharedMore.get(key) as T;
  }

  #encode(data: unknown): Uint8Array {
    return encoder.encode(
      `${this.id === null ? "" : `id: ${this.id}\n`}event: ${this.type}\ndata: ${
        JSON.stringify(data)
      }\n\n`,
    );
  }
}

/**
 * The event that tells a job's or a process's spectators how many they are (`{"spectators":N}`):
 * their other events do not carry the count. A pipe tells it with a `state` snapshot instead.
 */
export const AUDIENCE_EVENT = "spectators";

/** What a new spectator brings to {@linkcode Topic.greeting}. */
export interface GreetingOptions {
  /** The `Last-Event-ID` of a reconnecting client, if any. */
  lastEventId?: string | null | undefined;
}

let topicsMade = 0;

/**
 * Something spectators watch: a pipe run, a job, a process. It holds the last state (cache-last,
 * O(1) memory) and dispatches {@linkcode TopicEvent}s; spectators attach with
 * {@linkcode Topic.subscribe} (every event), other listeners with `addEventListener` for each of
 * {@linkcode Topic.eventTypes}. Dispatching never waits for a
 * subscriber, so a slow one cannot block the publisher.
 *
 * Every event has an SSE id, `RUN.SEQ`: `RUN` differs between topics (a pipe's next run is a new
 * topic), `SEQ` counts the topic's events from 1. A greeting carries the id of the last event
 * emitted (`RUN.0` before any), so a reconnect names where it was. {@linkcode Topic.endSeenBy}
 * tells a reconnect that already has the terminal event (answered `204`, which makes
 * EventSource stop reconnecting).
 *
 * The audience: when {@linkcode Topic.spectators} changes, the spectators who were already
 * there are told by {@linkcode Topic.announceAudience} (each kind chooses the event), at most
 * once per `audienceInterval` ms: changes in between coalesce into one event with the count
 * then, sent from a timer, never on the publisher's path. Nobody is told when the count goes
 * from 0 (the one who came knows it from its greeting) or to 0 (nobody is left), nor when it
 * comes back to what was last told, nor after the end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Topic } from "./topic.ts";
 * class Counter extends Topic {
 *   count = 0;
 *   constructor() { super("counter", "c", ["tick", "done"]); }
 *   get state() { return this.ended ? "done" : "counting"; }
 *   snapshot() { return { count: this.count }; }
 *   tick() { this.count++; this.emit("tick", this.snapshot()); }
 *   stop() { this.emit("done", this.snapshot(), true); }
 * }
 * const counter = new Counter();
 * const seen: unknown[] = [];
 * counter.addEventListener("tick", (event) => seen.push((event as TopicEvent).data));
 * counter.tick();
 * counter.stop();
 * assert.deepEqual(seen, [{ count: 1 }]);
 * assert.deepEqual(counter.greeting().map((event) => event.type), ["done"]);
 * ```
 */
export abstract class Topic extends EventTarget {
  /** `pipe`, `job` or `process`. */
  readonly kind: string;
  readonly name: string;
  /** The event types a spectator subscribes to. */
  readonly eventTypes: readonly string[];
  /**
   * At most one {@linkcode Topic.announceAudience} per this many ms; 0 (the default): the kind
   * tells nobody (a topic another node owns: its count is the owner's).
   */
  protected audienceInterval = 0;
  #spectators = 0;
  #told = 0;
  #toldAt = -Infinity;
  #audienceTimer: ReturnType<typeof setTimeout> | undefined;
  #end: TopicEvent | null = null;
  #subscribers = new Set<(event: Event) => void>();
  #run = `${Date.now().toString(36)}${(++topicsMade).toString(36)}`;
  #seq = 0;

  constructor(kind: string, name: string, eventTypes: readonly string[]) {
    super();
    this.kind = kind;
    this.name = name;
    this.eventTypes = eventTypes;
  }

  /**
   * Calls `listener` with every event this topic dispatches, whatever its type (its
   * {@linkcode Topic.eventTypes} and `lost`), after the `addEventListener` listeners; returns the
   * function that stops it. This is how spectators listen: one call in a loop per event instead
   * of the EventTarget's per-listener dispatch, and leaving costs O(1) instead of a search of
   * every listener of every type (measured in docs/performance.md → "Delivery per event").
   */
  subscribe(listener: (event: Event) => void): () => void {
    this.#subscribers.add(listener);
    return () => this.#subscribers.delete(listener);
  }

  /** How many {@linkcode Topic.subscribe} listeners there are now. */
  protected get subscribers(): number {
    return this.#subscribers.size;
  }

  /** Dispatches to the `addEventListener` listeners, then to the subscribers. */
  override dispatchEvent(event: Event): boolean {
    const result = super.dispatchEvent(event);
    for (const listener of this.#subscribers) listener(event);
    return result;
  }

  /** Spectators attached now (SSE and WebSocket); the tracker counts them. */
  get spectators(): number {
    return this.#spectators;
  }

  set spectators(count: number) {
    const before = this.#spectators;
    this.#spectators = count;
    if (this.audienceInterval <= 0 || this.#end) return;
    if (before === 0 || count === 0 || count === this.#told) {
      // Nobody who was here needs telling (see the class doc): whatever was pending is moot.
      if (before === 0 || count === 0) this.#told = count;
      clearTimeout(this.#audienceTimer);
      this.#audienceTimer = undefined;
      return;
    }
    this.#audienceTimer ??= setTimeout(
      () => this.#tellAudience(),
      Math.max(0, this.#toldAt + this.audienceInterval - Date.now()),
    );
  }

  /**
   * Tells the spectators how many they are now ({@linkcode Topic.spectators}) with the kind's
   * event. Called from a timer, at most once per `audienceInterval`. @default nothing
   */
  protected announceAudience(): void {}

  /**
   * How another node rebuilds this topic from its events (the cluster's `RemoteTopic`): each kind
   * declares its own. @default {@linkcode LATEST_WINS}
   */
  get replay(): Replay {
    return LATEST_WINS;
  }

  /** The current state as JSON-ready data. */
  abstract snapshot(): unknown;

  /**
   * The snapshot an event emitted with `data` carries ({@linkcode TopicEvent.snapshot}), asked
   * during its dispatch: the current one; a kind whose events' data is its snapshot says so.
   */
  protected snapshotAt(_data: unknown): unknown {
    return this.snapshot();
  }

  /** The state word (`streaming`, `running`, `exited`…); after the end, how the run ended. */
  abstract get state(): string;

  /** Whether a terminal event was emitted. */
  get ended(): boolean {
    return this.#end !== null;
  }

  /**
   * What a new spectator gets at once: the terminal event after the end, else one `state`
   * event with the current snapshot. A kind that can resume (processes) reads
   * `options.lastEventId`, the reconnecting client's `Last-Event-ID`.
   */
  greeting(_options: GreetingOptions = {}): TopicEvent[] {
    if (this.#end) return [this.#end];
    const snapshot = this.snapshot();
    return [new TopicEvent("state", snapshot, false, this.lastId, () => snapshot)];
  }

  /**
   * The SSE id of the last event emitted (`RUN.0` before any): a greeting carries it, so that
   * every event a spectator gets has an id and a reconnect names where it was.
   */
  protected get lastId(): string {
    return `${this.#run}.${this.#seq}`;
  }

  /**
   * Whether a reconnect whose `Last-Event-ID` is `lastEventId` already got the terminal event:
   * then there is nothing more to tell it.
   */
  endSeenBy(lastEventId: string | null | undefined): boolean {
    return this.#end !== null && lastEventId === this.#end.id;
  }

  #tellAudience(): void {
    this.#audienceTimer = undefined;
    if (this.#end || this.#spectators === this.#told) return;
    this.#told = this.#spectators;
    this.#toldAt = Date.now();
    this.announceAudience();
  }

  /**
   * Dispatches an event to every subscriber and returns it (`null` after the end: nothing is
   * emitted after a terminal event). Its SSE id is `id` when the kind numbers its own events
   * (a process's line numbers), else `RUN.SEQ`.
   */
  protected emit(
    type: string,
    data: unknown,
    terminal = false,
    id: string | null = null,
  ): TopicEvent | null {
    if (this.#end) return null;
    const event = new TopicEvent(
      type,
      data,
      terminal,
      id ?? `${this.#run}.${++this.#seq}`,
      () => this.snapshotAt(data),
    );
    if (terminal) {
      this.#end = event;
      clearTimeout(this.#audienceTimer);
      this.#audienceTimer = undefined;
    }
    this.dispatchEvent(event);
    return event;
  }
}
