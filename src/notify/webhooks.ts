import type { Log } from "../log.ts";
import { VERSION } from "../version.ts";
import { signature, signatureKey } from "./signature.ts";

/** Options for {@linkcode Webhooks}. */
export interface WebhooksOptions {
  /** Signs each body (`X-Ringside-Signature: sha256=HEX`); empty: unsigned. @default "" */
  secret?: string;
  /**
   * The wait before each retry, in ms; its length is the number of retries after the first
   * attempt. Each wait is stretched by up to ±10 % (so that retries after an outage do not
   * arrive all at once), and by a longer `Retry-After`, up to the longest wait.
   * @default [1000, 5000, 30000, 120000, 600000]
   */
  retry?: readonly number[];
  /** One attempt (connect, send, the answer's status) gives up after this, in ms. @default 10000 */
  timeout?: number;
  /** Deliveries held per target (waiting, in flight, waiting to retry); past it, dropped. @default 1000 */
  queue?: number;
  /** Attempts in flight at once per target. @default 4 */
  concurrency?: number;
  /** Where deliveries given up and drops are logged. @default nothing is logged */
  log?: Log;
}

/** Counters for `/metrics`. */
export interface WebhookStats {
  /** Deliveries a target accepted (2xx). */
  sent: number;
  /** Deliveries given up: retries spent, a refusal (4xx, a redirect), or shutdown. */
  failed: number;
  /** Deliveries never queued: the target's queue was full. */
  dropped: number;
  /** Deliveries held now, every target's (waiting, in flight, waiting to retry). */
  queued: number;
  /** Of those, the ones waiting for a retry's time. */
  retrying: number;
}

/** A notice's body and signature, made once and shared by every target. */
interface Prepared {
  body: Uint8Array<ArrayBuffer>;
  signature: string | null;
}

/** One notice to one target; `id` is its `X-Ringside-Delivery`, the same on every retry. */
interface Delivery {
  id: string;
  prepared: Promise<Prepared>;
  tries: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** One target's queue. */
interface Lane {
  url: string;
  /** The target's origin: its path may hold a secret (a Slack hook's does), so logs show this. */
  label: string;
  waiting: Delivery[];
  active: number;
  retrying: Set<Delivery>;
  droppedSinceLog: number;
  lastDropLog: number;
}

const encoder = new TextEncoder();
const DEFAULT_RETRY = [1000, 5000, 30_000, 120_000, 600_000];

function size(lane: Lane): number {
  return lane.waiting.length + lane.active + lane.retrying.size;
}

/** `Retry-After` in ms (seconds or an HTTP date), `null` when absent or unreadable. */
function retryAfter(response: Response): number | null {
  const value = response.headers.get("retry-after");
  if (value === null) return null;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/**
 * POSTs JSON notices to the operator's webhook targets, never making the caller wait:
 * {@linkcode Webhooks.notify} only queues. Each target has its own bounded queue (a full one
 * drops the notice for that target and counts it) and its own few attempts in flight, so a
 * slow or hanging target delays no other. An attempt that fails on the network, times out, or
 * is answered `429` or `5xx` is retried after the next wait of `retry`; once they are spent,
 * or on any other answer but `2xx` (redirects are not followed), the delivery is given up,
 * logged with the target's origin only, and counted.
 *
 * Headers: `Content-Type: application/json`, `User-Agent: ringside/VERSION`,
 * `X-Ringside-Delivery: ID` (the same on each retry) and, with a secret,
 * `X-Ringside-Signature: sha256=HEX`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Webhooks } from "./webhooks.ts";
 * const bodies: string[] = [];
 * const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
 *   bodies.push(await request.text());
 *   return new Response(null, { status: 204 });
 * });
 * const hooks = new Webhooks([`http://127.0.0.1:${receiver.addr.port}/hook`]);
 * hooks.notify(() => JSON.stringify({ event: "end" }));
 * await hooks.drain(5000);
 * assert.deepEqual(bodies, ['{"event":"end"}']);
 * assert.equal(hooks.stats().sent, 1);
 * await receiver.shutdown();
 * ```
 */
export class Webhooks {
  #lanes: Lane[];
  #key: Promise<CryptoKey> | null;
  #retry: readonly number[];
  #timeout: number;
  #queue: number;
  #concurrency: number;
  #log: Log;
  #sent = 0;
  #failed = 0;
  #dropped = 0;
  #draining = false;
  #closed = false;
  #stop = new AbortController();
  #idleWaiters: (() => void)[] = [];

  constructor(targets: readonly string[], options: WebhooksOptions = {}) {
    this.#lanes = targets.map((url) => ({
      url,
      label: URL.canParse(url) ? new URL(url).origin : "invalid URL",
      waiting: [],
      active: 0,
      retrying: new Set(),
      droppedSinceLog: 0,
      lastDropLog: 0,
    }));
    this.#key = options.secret ? signatureKey(options.secret) : null;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#timeout = options.timeout ?? 10_000;
    this.#queue = options.queue ?? 1000;
    this.#concurrency = options.concurrency ?? 4;
    this.#log = options.log ?? (() => {});
  }

  /**
   * Queues one notice for every target; `build` makes its JSON text later, once, off the
   * caller's path (and not at all when every target's queue is full). Never throws, never
   * waits.
   *
   * @returns whether any target took it.
   */
  notify(build: () => string | Promise<string>): boolean {
    if (this.#closed) return false;
    const taking = this.#lanes.filter((lane) => {
      if (size(lane) < this.#queue) return true;
      this.#drop(lane);
      return false;
    });
    if (taking.length === 0) return false;
    const prepared = Promise.resolve().then(build).then(async (text) => {
      const body = encoder.encode(text);
      return { body, signature: this.#key ? await signature(await this.#key, body) : null };
    });
    // Every delivery awaits it; this keeps a failure from going unhandled meanwhile.
    prepared.catch(() => {});
    for (const lane of taking) {
      lane.waiting.push({ id: crypto.randomUUID(), prepared, tries: 0 });
      this.#pump(lane);
    }
    return true;
  }

  /** The counters. */
  stats(): WebhookStats {
    let queued = 0;
    let retrying = 0;
    for (const lane of this.#lanes) {
      queued += size(lane);
      retrying += lane.retrying.size;
    }
    return { sent: this.#sent, failed: this.#failed, dropped: this.#dropped, queued, retrying };
  }

  /**
   * Shutdown: retries waiting for their time are tried at once (and any further ones without
   * waiting), then resolves when nothing is held, or after `timeout` ms, when what is left is
   * given up (counted as failed, logged once) and attempts in flight are aborted.
   */
  async drain(timeout: number): Promise<void> {
    this.#draining = true;
    for (const lane of this.#lanes) {
      for (const delivery of lane.retrying) this.#wake(lane, delivery);
    }
    if (this.stats().queued > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#idleWaiters.push(resolve)),
        new Promise((resolve) => timer = setTimeout(resolve, timeout)),
      ]);
      clearTimeout(timer);
    }
    this.close();
  }

  /** Gives up whatever is held now (counted as failed, logged once). Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    let abandoned = 0;
    for (const lane of this.#lanes) {
      for (const delivery of lane.retrying) clearTimeout(delivery.timer);
      abandoned += lane.waiting.length + lane.retrying.size + lane.active;
      this.#failed += lane.waiting.length + lane.retrying.size;
      lane.waiting = [];
      lane.retrying.clear();
    }
    // Attempts in flight end now and count themselves as failed.
    this.#stop.abort(new Error("Server is shutting down"));
    if (abandoned > 0) this.#log("notices undelivered at shutdown", { count: abandoned });
    this.#settle();
  }

  #drop(lane: Lane): void {
    this.#dropped++;
    lane.droppedSinceLog++;
    const now = Date.now();
    // A burst of drops is one log line every 10 s, not one per notice.
    if (now - lane.lastDropLog < 10_000) return;
    this.#log("notice dropped: queue full", {
      target: lane.label,
      queue: this.#queue,
      dropped: lane.droppedSinceLog,
    });
    lane.lastDropLog = now;
    lane.droppedSinceLog = 0;
  }

  #pump(lane: Lane): void {
    while (!this.#closed && lane.active < this.#concurrency && lane.waiting.length > 0) {
      const delivery = lane.waiting.shift()!;
      lane.active++;
      this.#attempt(lane, delivery).finally(() => {
        lane.active--;
        this.#pump(lane);
        this.#settle();
      });
    }
  }

  async #attempt(lane: Lane, delivery: Delivery): Promise<void> {
    delivery.tries++;
    let prepared: Prepared;
    try {
      prepared = await delivery.prepared;
    } catch (error) {
      this.#giveUp(lane, delivery, `notice not built: ${String(error)}`);
      return;
    }
    let response: Response;
    try {
      response = await fetch(lane.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": `ringside/${VERSION}`,
          "x-ringside-delivery": delivery.id,
          ...(prepared.signature ? { "x-ringside-signature": prepared.signature } : {}),
        },
        body: prepared.body,
        redirect: "manual",
        signal: AbortSignal.any([AbortSignal.timeout(this.#timeout), this.#stop.signal]),
      });
      await response.body?.cancel().catch(() => {});
    } catch (error) {
      const reason = (error as Error).name === "TimeoutError"
        ? `no answer within ${this.#timeout} ms`
        : (error as Error).message || String(error);
      this.#retryOrGiveUp(lane, delivery, reason, null);
      return;
    }
    if (response.status >= 200 && response.status < 300) {
      this.#sent++;
    } else if (response.status === 429 || response.status >= 500) {
      this.#retryOrGiveUp(lane, delivery, `HTTP ${response.status}`, retryAfter(response));
    } else {
      this.#giveUp(lane, delivery, `HTTP ${response.status || "redirect"} (not retried)`);
    }
  }

  #retryOrGiveUp(lane: Lane, delivery: Delivery, reason: string, after: number | null): void {
    if (this.#closed) {
      this.#failed++;
      return;
    }
    const wait = this.#retry[delivery.tries - 1];
    if (wait === undefined) {
      this.#giveUp(lane, delivery, reason);
      return;
    }
    const longest = Math.max(...this.#retry);
    const jittered = wait * (0.9 + 0.2 * Math.random());
    const delay = this.#draining ? 0 : Math.min(Math.max(jittered, after ?? 0), longest);
    lane.retrying.add(delivery);
    delivery.timer = setTimeout(() => this.#wake(lane, delivery), delay);
  }

  /** A retry's time has come (or shutdown is near): first in line, it is the older notice. */
  #wake(lane: Lane, delivery: Delivery): void {
    clearTimeout(delivery.timer);
    if (!lane.retrying.delete(delivery)) return;
    lane.waiting.unshift(delivery);
    this.#pump(lane);
  }

  #giveUp(lane: Lane, delivery: Delivery, reason: string): void {
    this.#failed++;
    if (this.#closed) return;
    this.#log("notice failed", {
      target: lane.label,
      delivery: delivery.id,
      attempts: delivery.tries,
      reason,
    });
  }

  #settle(): void {
    if (this.#idleWaiters.length === 0 || this.stats().queued > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
