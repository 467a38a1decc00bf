import { formatFlagDuration } from "../flag_units.ts";
import { FanOut } from "./fan_out.ts";
import { PipeTopic } from "./pipe_topic.ts";
import type { Receiver, ReceiverResponse, Sender, SenderRequest } from "./pipe_sides.ts";
import { SenderLog } from "./sender_log.ts";
import { HttpError } from "../http_error.ts";

/** Options for {@linkcode Pipe}. */
export interface PipeOptions {
  /** A waiting sender or receiver gives up after this many ms. @default 600000 */
  waitTimeout?: number;
  /** Passed to the pipe's topics. @default 250 */
  progressInterval?: number;
  /**
   * A waiting sender's log gets a `.` this often, in ms: a runtime notices that a connection
   * closed only when a write to it fails, and a waiting sender's body is not read.
   * @default 5000
   */
  probeInterval?: number;
  /**
   * Before a transfer starts on a sender that was waiting, its log gets two probes this many ms
   * apart, and the transfer starts this long after the second one unless the sender is found
   * gone: a receiver must never start on a sender that has left.
   * @default 50
   */
  confirmDelay?: number;
  /** Chunks each receiver may hold. @default 2 */
  highWaterMark?: number;
  /** Called when a run starts, ends, or a waiting side leaves; the tracker listens. */
  onChange?: (pipe: Pipe) => void;
}

/**
 * One pipe name: the rendezvous of a sender and `n` receivers (either side may come first) and
 * the relay between them. A run ends when every receiver has every byte (`complete`) or when
 * the sender or every receiver goes away (`failed`); then the name is free for a new run and
 * {@linkcode Pipe.topic} keeps the ended run for latecomers until a new one starts.
 *
 * Before the transfer starts, a side that disconnects or waits longer than `waitTimeout`
 * simply leaves; when nobody is left the topic goes back to `idle`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Pipe } from "./pipe.ts";
 * const pipe = new Pipe("hello");
 * const receiving = pipe.receive({ n: null, signal: new AbortController().signal });
 * pipe.send({
 *   body: ReadableStream.from([new TextEncoder().encode("hi")]),
 *   n: null,
 *   total: 2,
 *   headers: new Headers(),
 *   signal: new AbortController().signal,
 * });
 * const { body } = await receiving;
 * assert.equal(await new Response(body).text(), "hi");
 * ```
 */
export class Pipe {
  readonly kind = "pipe" as const;
  readonly name: string;
  #options: PipeOptions;
  #topic: PipeTopic;
  #sender: Sender | null = null;
  #receivers: Receiver[] = [];
  #expected: number | null = null;
  #relay: FanOut | null = null;
  #confirming = false;

  constructor(name: string, options: PipeOptions = {}) {
    this.name = name;
    this.#options = options;
    this.#topic = this.#newTopic();
  }

  /** The current run, or the last one after it ended. */
  get topic(): PipeTopic {
    return this.#topic;
  }

  /** Whether a sender, a receiver or a transfer is here now. */
  get busy(): boolean {
    return this.#sender !== null || this.#receivers.length > 0 || this.#relay !== null;
  }

  /** Whether bytes are flowing now. */
  get transferring(): boolean {
    return this.#relay !== null;
  }

  /** Bytes the current run relayed: so far while it transfers, in all once it ended. */
  get bytesRelayed(): number {
    return this.#relay?.bytes ?? this.#topic.snapshot().bytes;
  }

  /** What the registry logs when a transfer starts and when it ends. */
  logLine(moment: "started" | "ended"): [string, Record<string, unknown>] {
    const { receiversExpected: receivers, total, state, bytes, durationSec, mbps, error } = this
      .#topic.snapshot();
    const pipe = this.name;
    return moment === "started"
      ? ["transfer started", { pipe, receivers, total }]
      : [`transfer ${state}`, { pipe, bytes, durationSec, mbps, ...(error ? { error } : {}) }];
  }

  /**
   * Connects the sender. The returned stream is the sender's response: plain-text lines of
   * what happens. It ends after every receiver has every byte and is errored on failure, so
   * `curl` exits non-zero then.
   *
   * `n` must agree with the side that came first, a missing `n` meaning 1: a sender without
   * `n=` is refused by receivers waiting with `n=2`, and the other way round.
   *
   * @throws {HttpError} 409 when a sender is here or a transfer runs, 400 when `n` disagrees.
   */
  send(request: SenderRequest): ReadableStream<Uint8Array> {
    this.checkSend(request.n);
    const n = this.#agreeOnN(request.n);
    this.#freshRunIfEnded();
    const log = new SenderLog(() => this.#senderLeft(sender, "Sender disconnected"));
    const waitTimeout = this.#options.waitTimeout ?? 600_000;
    const sender: Sender = {
      request,
      log,
      timer: setTimeout(() => {
        this.#senderLeft(sender, `No receiver came within ${formatFlagDuration(waitTimeout)}`);
      }, waitTimeout),
      probe: setInterval(() => log.probe(), this.#options.probeInterval ?? 5_000),
      unlisten: () => request.signal.removeEventListener("abort", onAbort),
    };
    const onAbort = () => this.#senderLeft(sender, "Sender disconnected");
    this.#sender = sender;
    request.signal.addEventListener("abort", onAbort, { once: true });
    // One chunk: Bun, answering after an await, sometimes lost the first of two queued ones.
    const watch = request.watch ? `[INFO] Watch: ${request.watch}\n` : "";
    log.say(`${watch}[INFO] Waiting for ${n} receiver(s)... (${this.#receivers.length} connected)`);
    this.#update();
    // The client may have left while the route awaited (the watch link): no abort event comes.
    if (request.signal.aborted) onAbort();
    else this.#startIfReady();
    return log.stream;
  }

  /**
   * Throws what {@linkcode Pipe.send} would throw now, without connecting anything.
   *
   * @throws {HttpError} 409 when a sender is here or a transfer runs, 400 when `n` disagrees.
   */
  checkSend(n: number | null): void {
    if (this.#sender || this.#relay) {
      throw new HttpError(409, `Pipe '${this.name}' already has a sender`);
    }
    this.#agreedN(n);
  }

  /**
   * Connects a receiver; resolves when the transfer starts.
   *
   * @throws {HttpError} 409 when the pipe already has all its receivers, 400 when `n`
   * disagrees, 408 when no sender comes within `waitTimeout`.
   */
  receive(request: { n: number | null; signal: AbortSignal }): Promise<ReceiverResponse> {
    const n = this.checkReceive(request.n);
    this.#agreeOnN(n);
    this.#freshRunIfEnded();
    const waitTimeout = this.#options.waitTimeout ?? 600_000;
    const { promise, resolve, reject } = Promise.withResolvers<ReceiverResponse>();
    const receiver: Receiver = {
      resolve,
      reject,
      timer: setTimeout(() => {
        const message = `No sender came to pipe '${this.name}' within ${
          formatFlagDuration(waitTimeout)
        }`;
        this.#receiverLeft(receiver, new HttpError(408, message));
      }, waitTimeout),
      unlisten: () => request.signal.removeEventListener("abort", onAbort),
    };
    const onAbort = () => this.#receiverLeft(receiver, new HttpError(408, "Receiver disconnected"));
    this.#receivers.push(receiver);
    request.signal.addEventListener("abort", onAbort, { once: true });
    if (this.#sender) {
      this.#sender.log.say(`[INFO] A receiver connected (${this.#receivers.length} of ${n}).`);
    }
    this.#update();
    // The client may have left while the route awaited (a token check): no abort event comes.
    if (request.signal.aborted) onAbort();
    else this.#startIfReady(true);
    return promise;
  }

  /**
   * Throws what {@linkcode Pipe.receive} would throw now, without connecting anything; returns
   * the pipe's `n`.
   *
   * @throws {HttpError} 409 when the pipe already has all its receivers, 400 when `n`
   * disagrees.
   */
  checkReceive(n: number | null): number {
    if (this.#relay) {
      throw new HttpError(409, `Pipe '${this.name}' is transferring to all its receivers already`);
    }
    const agreed = this.#agreedN(n);
    if (this.#receivers.length >= agreed) {
      throw new HttpError(409, `Pipe '${this.name}' already has its ${agreed} receiver(s)`);
    }
    return agreed;
  }

  /** The headers a receiver would get from the sender waiting now; `null` when none waits. */
  get senderHeaders(): Headers | null {
    return this.#sender ? new Headers(this.#sender.request.headers) : null;
  }

  /**
   * Fails what is here (shutdown): a running transfer, or the waiting sides — a waiting
   * sender's log ends with `[ERROR] reason.`, a waiting receiver gets `503 reason`. Nothing could
   * join them once the server drains, and they would hold its graceful stop open.
   */
  abort(reason: string): void {
    if (this.#relay) {
      this.#relay.abort(new Error(reason));
      return;
    }
    if (this.#sender) this.#senderLeft(this.#sender, reason);
    for (const receiver of [...this.#receivers]) {
      this.#receiverLeft(receiver, new HttpError(503, reason));
    }
  }

  /**
   * The pipe's `n` once this side joins: the first side's, which every later side must match.
   * A side without `n=` asks for 1, so it never joins a pipe that expects 2 (a sender without
   * `n=` would otherwise relay to receivers it never asked for); the side refused leaves the
   * waiting ones as they were.
   *
   * @throws {HttpError} 400 when `n` disagrees.
   */
  #agreedN(n: number | null): number {
    const asked = n ?? 1;
    const agreed = this.#expected ?? asked;
    if (asked !== agreed) {
      const mine = n === null ? "n=1 (no n= given)" : `n=${n}`;
      throw new HttpError(400, `${mine} does not match n=${agreed} of pipe '${this.name}'`);
    }
    return agreed;
  }

  #agreeOnN(n: number | null): number {
    this.#expected = this.#agreedN(n);
    return this.#expected;
  }

  /** A new run after an ended one; the caller registers its side, then calls #update. */
  #freshRunIfEnded(): void {
    if (this.#topic.ended) this.#topic = this.#newTopic();
  }

  #newTopic(): PipeTopic {
    return new PipeTopic(this.name, {
      // 0 is a cadence too (every timer turn): only a missing one means the topic's default.
      ...(this.#options.progressInterval === undefined
        ? {}
        : { progressInterval: this.#options.progressInterval }),
    });
  }

  #update(): void {
    this.#topic.wait({
      receivers: this.#receivers.length,
      receiversExpected: this.#expected ?? 1,
      hasSender: this.#sender !== null,
    });
    if (!this.busy) this.#expected = null;
    this.#options.onChange?.(this);
  }

  #senderLeft(sender: Sender, reason: string): void {
    if (this.#sender !== sender) return;
    if (this.#relay) {
      this.#relay.abort(new Error(reason));
      return;
    }
    clearTimeout(sender.timer);
    clearInterval(sender.probe);
    sender.unlisten();
    this.#sender = null;
    sender.request.body?.cancel(reason).catch(() => {});
    sender.log.fail(`[ERROR] ${reason}.`);
    this.#update();
  }

  #receiverLeft(receiver: Receiver, error: HttpError): void {
    const index = this.#receivers.indexOf(receiver);
    if (index < 0) return;
    if (this.#relay) {
      this.#relay.cancelOutput(index, error);
      return;
    }
    clearTimeout(receiver.timer);
    receiver.unlisten();
    this.#receivers.splice(index, 1);
    receiver.reject(error);
    if (this.#sender) {
      this.#sender.log.say(`[INFO] A receiver left (${this.#receivers.length} connected).`);
    }
    this.#update();
  }

  /**
   * Starts the transfer once the sender and all receivers are here. `confirm` (the last to come
   * was a receiver, so the sender has been waiting): first make sure the sender is still there,
   * since its connection may have closed unnoticed (see `probeInterval`).
   */
  #startIfReady(confirm = false): void {
    const sender = this.#sender;
    const n = this.#expected ?? 1;
    if (!sender || this.#receivers.length < n || this.#confirming) return;
    if (sender.request.signal.aborted) {
      this.#senderLeft(sender, "Sender disconnected");
      return;
    }
    if (confirm) {
      this.#confirming = true;
      const delay = this.#options.confirmDelay ?? 50;
      sender.log.probe();
      setTimeout(() => {
        sender.log.probe();
        setTimeout(() => {
          this.#confirming = false;
          // The sender confirmed, or a new one came meanwhile (it has just arrived).
          this.#startIfReady();
        }, delay);
      }, delay);
      return;
    }
    clearTimeout(sender.timer);
    clearInterval(sender.probe);
    for (const receiver of this.#receivers) clearTimeout(receiver.timer);
    const receivers = this.#receivers;
    const topic = this.#topic;
    const body = sender.request.body ?? ReadableStream.from<Uint8Array>([]);
    const relay = new FanOut(body, n, {
      ...(this.#options.highWaterMark ? { highWaterMark: this.#options.highWaterMark } : {}),
      onComplete: () => {
        sender.log.end(`[INFO] Sent ${relay.bytes} bytes to ${relay.delivered} receiver(s).`);
        this.#finish();
        topic.complete();
        this.#options.onChange?.(this);
      },
      onError: (error) => {
        sender.log.fail(`[ERROR] ${error.message}.`);
        this.#finish();
        topic.fail(error.message);
        this.#options.onChange?.(this);
      },
    });
    this.#relay = relay;
    topic.start({
      bytes: () => relay.bytes,
      receivers: () => relay.open + relay.delivered,
      total: sender.request.total,
    });
    sender.log.say(`[INFO] Start sending to ${n} receiver(s).`);
    receivers.forEach((receiver, i) =>
      receiver.resolve({ body: relay.outputs[i]!, headers: sender.request.headers })
    );
    this.#options.onChange?.(this);
  }

  /**
   * The run is over: forget its sides, and stop listening to their connections. A runtime may
   * keep a request's signal alive while it has a listener (Bun does), and the listener reaches
   * the sender's request and body: an ended run would hold them for as long as it is retained.
   */
  #finish(): void {
    this.#sender?.unlisten();
    for (const receiver of this.#receivers) receiver.unlisten();
    this.#relay = null;
    this.#sender = null;
    this.#receivers = [];
    this.#expected = null;
  }
}
