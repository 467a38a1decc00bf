import type { ProcessLine, ProcessSnapshot, ProcessStatus } from "../progress/snapshot.ts";
import type { Replay } from "../progress/replay.ts";
import { utf8Length } from "../progress/utf8_length.ts";
import { AUDIENCE_EVENT, type GreetingOptions, Topic, TopicEvent } from "../progress/topic.ts";

/** Options for {@linkcode ProcessTopic}. */
export interface ProcessTopicOptions {
  /** Lines kept for latecomers and reconnects (`--history-lines`). @default 1000 */
  historyLines?: number;
  /**
   * Bytes of line text (UTF-8) kept for latecomers and reconnects (`--history-bytes`): the
   * oldest lines leave the ring until the rest fit, but the newest line always stays.
   * @default 1048576
   */
  historyBytes?: number;
  /** At most one `spectators` event per this many ms (`--progress-interval`). @default 250 */
  progressInterval?: number;
  /** The clock, for tests. @default Date.now */
  now?: () => number;
}

/** The event types of a process topic. */
export const PROCESS_EVENTS = ["output", "status", "gap", AUDIENCE_EVENT] as const;

/** The recent lines, then the newest status; the snapshot (with its tail) only in the record. */
const PROCESS_REPLAY: Replay = { backlog: ["output", "gap"], greetAs: null, snapshot: "record" };

/**
 * The highest line number (`seq`): 15 digits, which a `Last-Event-ID` may carry
 * ({@linkcode parseLastEventId}) and a JavaScript number holds exactly.
 */
export const MAX_SEQ = 999_999_999_999_999;

/** Lines in the JSON snapshot's `tail`. */
const TAIL = 100;

/** Whether a status is final (`exited`, `killed`, `failed`). */
export function isFinalStatus(status: ProcessStatus): boolean {
  return status !== "running";
}

/**
 * A ring entry: an `output` event, or a `gap` event for lines the publisher dropped
 * (`first`..`last` are the sequence numbers it covers).
 */
interface Kept {
  first: number;
  last: number;
  type: "output" | "gap";
  data: ProcessLine | { missed: number };
  /** What it counts against `historyBytes`: its line's UTF-8 length (0 for a gap). */
  bytes: number;
  /** Made when first needed (dispatch or a greeting), then shared by every spectator. */
  event: TopicEvent | null;
}

/**
 * One process as spectators see it: its output lines, numbered from 1 (`seq`, also the SSE
 * `id:`), a bounded ring of the last of them for latecomers (at most `historyLines` lines and
 * `historyBytes` bytes of text), and its status (`running`, then the first of `exited`,
 * `killed`, `failed`, which is final).
 *
 * Events: `output` (`{"seq","stream","line"}`, id `seq`), `status` (`{"status","exitCode"}`, id
 * the last `seq`; a final one is terminal, its id `SEQ.end`), and `gap` (`{"missed":K}`, id the
 * last missed `seq`) when the publisher reports lines it could not send, and `spectators`
 * (`{"spectators":N}`, id the last `seq`, so that a reconnect still resumes after the last
 * line) when their number changed, at most once per `progressInterval`. The greeting is the ring
 * and then the status (and `spectators` while running); with a `Last-Event-ID` of `N` it
 * resumes after line `N`, starting with a `gap` when lines after `N` already left the ring.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessTopic } from "./process_topic.ts";
 * const topic = new ProcessTopic("build", { historyLines: 2 });
 * for (const line of ["a", "b", "c"]) topic.output("stdout", line);
 * topic.setStatus("exited", 0);
 * const types = topic.greeting({ lastEventId: "0" }).map((event) => event.type);
 * assert.deepEqual(types, ["gap", "output", "output", "status"]);
 * assert.deepEqual(topic.snapshot().tail.map((line) => line.line), ["b", "c"]);
 * ```
 */
export class ProcessTopic extends Topic {
  /** How another node replays its events (see {@linkcode Replay}). */
  override get replay(): Replay {
    return PROCESS_REPLAY;
  }

  #now: () => number;
  #capacity: number;
  #maxBytes: number;
  #ring: (Kept | undefined)[];
  /** Where the oldest entry is, how many there are, and the bytes they count. */
  #start = 0;
  #size = 0;
  #bytes = 0;
  #seq = 0;
  /**
   * `output` listeners now, besides the {@linkcode Topic.subscribe} ones (counted so that a line
   * nobody follows makes no event).
   */
  #listeners = 0;
  #status: ProcessStatus = "running";
  #exitCode: number | null = null;
  /** The final status event once there is one. */
  #statusEvent: TopicEvent;
  #startedAt: number;
  #updatedAt: number;
  #endedAt: number | null = null;

  constructor(id: string, options: ProcessTopicOptions = {}) {
    super("process", id, PROCESS_EVENTS);
    this.#now = options.now ?? Date.now;
    this.#capacity = Math.max(1, options.historyLines ?? 1000);
    this.#maxBytes = options.historyBytes ?? 1_048_576;
    this.audienceInterval = Math.max(1, options.progressInterval ?? 250);
    this.#ring = new Array(this.#capacity);
    this.#startedAt = this.#updatedAt = this.#now();
    this.#statusEvent = this.#newStatusEvent();
  }

  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    if (listener && type === "output") this.#listeners++;
    super.addEventListener(type, listener, options);
  }

  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions,
  ): void {
    if (listener && type === "output") this.#listeners = Math.max(0, this.#listeners - 1);
    super.removeEventListener(type, listener, options);
  }

  /** The status word. */
  get state(): ProcessStatus {
    return this.#status;
  }

  /** The last line's `seq` (0 before any). */
  get seq(): number {
    return this.#seq;
  }

  /**
   * One line of output: it gets the next `seq` and goes to every spectator now. `bytes` is what
   * it counts against `historyBytes`, when the caller knows it already (the bytes it was decoded
   * from); by default its UTF-8 length.
   *
   * @returns `false` after a final status (nothing is emitted then).
   */
  output(stream: "stdout" | "stderr", line: string, bytes: number = utf8Length(line)): boolean {
    if (this.ended) return false;
    const seq = ++this.#seq;
    const data: ProcessLine = { seq, stream, line };
    // An event object costs more than the rest of a line's path: none when nobody listens.
    const heard = this.#listeners > 0 || this.subscribers > 0;
    const event = heard ? this.emit("output", data, false, String(seq)) : null;
    this.#keep({ first: seq, last: seq, type: "output", data, bytes, event });
    this.#updatedAt = this.#now();
    return true;
  }

  /**
   * The publisher dropped `missed` lines: they take their `seq`s, and spectators get a `gap`.
   *
   * @returns `false` after a final status.
   */
  gap(missed: number): boolean {
    if (this.ended) return false;
    if (missed <= 0) return true;
    const first = this.#seq + 1;
    this.#seq += missed;
    const data = { missed };
    const event = this.emit("gap", data, false, String(this.#seq));
    this.#keep({ first, last: this.#seq, type: "gap", data, bytes: 0, event });
    this.#updatedAt = this.#now();
    return true;
  }

  /**
   * Records a status. `running` again changes nothing; the first final status ends the topic
   * (spectators get it and their streams close).
   *
   * @returns `false` after a final status (the first one wins).
   */
  setStatus(status: ProcessStatus, exitCode: number | null = null): boolean {
    if (this.ended) return false;
    if (status === "running") return true;
    this.#status = status;
    this.#exitCode = exitCode;
    this.#endedAt = this.#updatedAt = this.#now();
    this.#statusEvent = this.#newStatusEvent();
    this.emit("status", this.#statusEvent.data, true, this.#statusEvent.id);
    return true;
  }

  /** The lines (and gaps) the ring holds after `Last-Event-ID`, then the status. */
  override greeting(options: GreetingOptions = {}): TopicEvent[] {
    const after = parseLastEventId(options.lastEventId);
    const events: TopicEvent[] = [];
    const oldest = this.#size > 0 ? this.#at(0).first : this.#seq + 1;
    if (after !== null && oldest > after + 1) {
      const last = Math.min(oldest - 1, this.#seq);
      if (last > after) {
        events.push(new TopicEvent("gap", { missed: last - after }, false, String(last)));
      }
    }
    for (let i = 0; i < this.#size; i++) {
      const kept = this.#at(i);
      if (after !== null && kept.last <= after) continue;
      if (after !== null && kept.type === "gap" && kept.first <= after) {
        // Only the part of a dropped run after N is news to this client.
        const missed = kept.last - after;
        events.push(new TopicEvent("gap", { missed }, false, String(kept.last)));
      } else {
        kept.event ??= new TopicEvent(kept.type, kept.data, false, String(kept.last));
        events.push(kept.event);
      }
    }
    // A final status replays as it was emitted (terminal, so the stream closes after it); a
    // running one carries the current seq so that the client's Last-Event-ID stays right.
    if (this.ended) {
      events.push(this.#statusEvent);
    } else {
      events.push(
        this.#newStatusEvent(),
        new TopicEvent(AUDIENCE_EVENT, { spectators: this.spectators }, false, String(this.#seq)),
      );
    }
    return events;
  }

  /** Whether a reconnect already got the final status (its id was `Last-Event-ID`). */
  override endSeenBy(lastEventId: string | null | undefined): boolean {
    return this.ended && lastEventId === this.#statusEvent.id;
  }

  protected override announceAudience(): void {
    this.emit(AUDIENCE_EVENT, { spectators: this.spectators }, false, String(this.#seq));
  }

  snapshot(): ProcessSnapshot {
    const tail: ProcessLine[] = [];
    for (let i = this.#size - 1; i >= 0 && tail.length < TAIL; i--) {
      const kept = this.#at(i);
      if (kept.type === "output") tail.push(kept.data as ProcessLine);
    }
    tail.reverse();
    const end = this.#endedAt ?? this.#now();
    return {
      kind: "process",
      id: this.name,
      status: this.#status,
      exitCode: this.#exitCode,
      lines: this.#seq,
      startedAt: new Date(this.#startedAt).toISOString(),
      updatedAt: new Date(this.#updatedAt).toISOString(),
      durationSec: Math.round((end - this.#startedAt) / 100) / 10,
      spectators: this.spectators,
      tail,
    };
  }

  #newStatusEvent(): TopicEvent {
    const final = isFinalStatus(this.#status);
    return new TopicEvent(
      "status",
      { status: this.#status, exitCode: this.#exitCode },
      final,
      final ? `${this.#seq}.end` : String(this.#seq),
    );
  }

  #at(index: number): Kept {
    return this.#ring[(this.#start + index) % this.#capacity]!;
  }

  #keep(kept: Kept): void {
    if (this.#size === this.#capacity) this.#dropOldest();
    this.#ring[(this.#start + this.#size++) % this.#capacity] = kept;
    this.#bytes += kept.bytes;
    while (this.#bytes > this.#maxBytes && this.#size > 1) this.#dropOldest();
  }

  #dropOldest(): void {
    this.#bytes -= this.#ring[this.#start]!.bytes;
    this.#ring[this.#start] = undefined;
    this.#start = (this.#start + 1) % this.#capacity;
    this.#size--;
  }
}

/**
 * The line a `Last-Event-ID` names: `17` (an output, gap or status id) or `17.end` (a final
 * status); `null` when absent or not one of ours.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLastEventId } from "./process_topic.ts";
 * assert.equal(parseLastEventId("17"), 17);
 * assert.equal(parseLastEventId("17.end"), 17);
 * assert.equal(parseLastEventId("x"), null);
 * ```
 */
export function parseLastEventId(value: string | null | undefined): number | null {
  const match = /^(\d{1,15})(?:\.end)?$/.exec(value?.trim() ?? "");
  return match ? Number(match[1]) : null;
}
