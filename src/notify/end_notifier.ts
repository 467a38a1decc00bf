import type { Config } from "../config.ts";
import type { Log } from "../log.ts";
import type { TopicKind, Tracker } from "../tracker.ts";
import { endNotice } from "./notice.ts";
import { type NotifyFilter, parseNotifyFilter } from "./notify_filter.ts";
import { Webhooks, type WebhookStats } from "./webhooks.ts";

/** What {@linkcode EndNotifier} reads of the config. */
export type EndNotifierConfig = Pick<
  Config,
  | "host"
  | "port"
  | "node"
  | "notify"
  | "notifySecret"
  | "notifyOn"
  | "notifyRetry"
  | "notifyTimeout"
  | "notifyQueue"
  | "publicUrl"
>;

/** Options for {@linkcode EndNotifier}. */
export interface EndNotifierOptions {
  /** A topic's watch id, for the notice's `watch` link. */
  watchId(kind: TopicKind, name: string): Promise<string>;
  /** Where deliveries given up and drops are logged. */
  log?: Log | undefined;
}

/**
 * Tells the operator's webhook targets (`--notify`) of every end of a run this node owns: a
 * pipe `complete`/`failed`, a job `success`/`failed`, a process `exited`/`killed`/`failed`,
 * as the registry counts it (the tracker's `end` event), filtered by `--notify-on`. The end's
 * path only takes the final snapshot and queues ({@linkcode Webhooks.notify}); the notice is
 * built and sent later. A topic another node owns is never in this node's registry, so with
 * several nodes each end is notified once, by its owner.
 *
 * URLs in notices start with `--public-url`, else with the origin the server listens on
 * ({@linkcode EndNotifier.listening}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "../config.ts";
 * import { startJob } from "../job/job.ts";
 * import { Tracker } from "../tracker.ts";
 * import { EndNotifier } from "./end_notifier.ts";
 * const notices: Record<string, unknown>[] = [];
 * const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
 *   notices.push(await request.json());
 *   return new Response(null, { status: 204 });
 * });
 * const config = { ...defaultConfig(), notify: [`http://127.0.0.1:${receiver.addr.port}/`] };
 * const tracker = new Tracker(config);
 * const notifier = new EndNotifier(tracker, { ...config, publicUrl: "https://w.test" }, {
 *   watchId: async () => "WATCH",
 * });
 * startJob(tracker, "ci/7", { first: null }).job.finish({ ok: true, result: {} });
 * await notifier.drain(5000);
 * assert.equal(notices[0]!.watch, "https://w.test/w/WATCH");
 * assert.equal(notices[0]!.state, "success");
 * tracker.close();
 * await receiver.shutdown();
 * ```
 */
export class EndNotifier {
  #webhooks: Webhooks;
  #filter: NotifyFilter;
  #origin: string;
  #fixedOrigin: boolean;

  constructor(tracker: Tracker, config: EndNotifierConfig, options: EndNotifierOptions) {
    this.#filter = parseNotifyFilter(config.notifyOn);
    this.#webhooks = new Webhooks(config.notify, {
      secret: config.notifySecret,
      retry: config.notifyRetry,
      timeout: config.notifyTimeout,
      queue: config.notifyQueue,
      ...(options.log ? { log: options.log } : {}),
    });
    this.#fixedOrigin = config.publicUrl !== "";
    this.#origin = config.publicUrl ||
      `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port}`;
    const node = config.node === "" ? null : config.node;
    tracker.addEventListener("end", ({ entry }) => {
      if (!this.#filter(entry.kind, entry.name)) return;
      const { kind, name, topic } = entry;
      // The final state, taken now: the entry may start a new run before the notice is built.
      const snapshot = topic.snapshot();
      const state = topic.state;
      const at = new Date();
      this.#webhooks.notify(async () =>
        JSON.stringify(endNotice({
          kind,
          name,
          state,
          snapshot,
          origin: this.#origin,
          watchId: await options.watchId(kind, name),
          node,
          at,
        }))
      );
    });
  }

  /** The origin the server listens on (`http://127.0.0.1:8080`), unless `--public-url` is set. */
  listening(origin: string): void {
    if (!this.#fixedOrigin) this.#origin = origin.replace(/\/+$/, "");
  }

  /** The delivery counters, for `/metrics`. */
  stats(): WebhookStats {
    return this.#webhooks.stats();
  }

  /** Shutdown: see {@linkcode Webhooks.drain}. */
  drain(timeout: number): Promise<void> {
    return this.#webhooks.drain(timeout);
  }

  /** Gives up what is held now (tests, a stop without drain). Safe to call twice. */
  close(): void {
    this.#webhooks.close();
  }
}
