import { HttpError } from "../http_error.ts";
import type { TopicKind } from "../tracker.ts";

const encoder = new TextEncoder();

/**
 * The HMAC-SHA-256 key behind watch links: from `secret`, or 32 random bytes when it is empty
 * (links then die with the process).
 */
export function watchKey(secret: string): Promise<CryptoKey> {
  const raw = secret === "" ? crypto.getRandomValues(new Uint8Array(32)) : encoder.encode(secret);
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/**
 * The watch id of a topic: the first 22 characters of the base64url HMAC-SHA-256 of
 * `kind:name` under `key` (132 bits). Without the key, an id says nothing about the name and
 * no name can be turned into its id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { watchId, watchKey } from "./watch_links.ts";
 * const key = await watchKey("s3cret");
 * const id = await watchId(key, "pipe", "migration");
 * assert.match(id, /^[A-Za-z0-9_-]{22}$/);
 * assert.equal(id, await watchId(await watchKey("s3cret"), "pipe", "migration"));
 * assert.notEqual(id, await watchId(key, "job", "migration"));
 * assert.notEqual(id, await watchId(await watchKey("other"), "pipe", "migration"));
 * ```
 */
export async function watchId(key: CryptoKey, kind: string, name: string): Promise<string> {
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, encoder.encode(`${kind}:${name}`)),
  );
  const base64 = btoa(String.fromCharCode(...mac));
  return base64.replaceAll("+", "-").replaceAll("/", "_").slice(0, 22);
}

/** Top-level fields that carry a topic's name in snapshots and event data. */
const NAME_FIELDS = ["name", "id", "task_id", "taskId", "processId"];

/**
 * A copy of `data` (a snapshot or an event's data) in which the topic's name is replaced by
 * its watch id: every top-level name field (`name`, `id`, `task_id`, `taskId`, `processId`)
 * that equals the name, and the name quoted (`'NAME'`) in an `error` line. Anything else the
 * publisher put in its data is the publisher's to show.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hideName } from "./watch_links.ts";
 * const data = { kind: "job", id: "ci/7", task_id: "ci/7", error: "Pipe 'ci/7' failed", n: 1 };
 * assert.deepEqual(hideName(data, "ci/7", "W"), {
 *   kind: "job", id: "W", task_id: "W", error: "Pipe 'W' failed", n: 1,
 * });
 * assert.equal(hideName("text", "ci/7", "W"), "text");
 * ```
 */
export function hideName(data: unknown, name: string, id: string): unknown {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return data;
  const copy: Record<string, unknown> = { ...data };
  for (const field of NAME_FIELDS) {
    if (copy[field] === name) copy[field] = id;
  }
  if (typeof copy.error === "string") copy.error = copy.error.replaceAll(`'${name}'`, `'${id}'`);
  return copy;
}

/**
 * Runs `attach` (a watch link's spectator of the topic `name`): an {@linkcode HttpError} it
 * throws (the tracker's `Too many spectators on 'NAME'`) names the watch id instead, so the
 * refusal never reveals the name; other errors pass as they are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HttpError } from "../http_error.ts";
 * import { attachHidingName } from "./watch_links.ts";
 * assert.throws(() => attachHidingName("ci/7", "W", () => {
 *   throw new HttpError(429, "Too many spectators on 'ci/7' (at most 1)");
 * }), { status: 429, message: "Too many spectators on 'W' (at most 1)" });
 * assert.equal(attachHidingName("ci/7", "W", () => 1), 1);
 * ```
 */
export function attachHidingName<T>(name: string, id: string, attach: () => T): T {
  try {
    return attach();
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    const message = error.message.replaceAll(`'${name}'`, `'${id}'`);
    throw new HttpError(error.status, message, { headers: { ...error.headers } });
  }
}

/** What a watch id stands for. */
export interface WatchTarget {
  kind: TopicKind;
  name: string;
}

/**
 * The watch ids of the topics the registry holds now, both ways. The tracker tells it when an
 * entry comes ({@linkcode WatchLinks.add}) and goes ({@linkcode WatchLinks.delete}); an id
 * resolves while its entry lives (a retained run included) and is unknown once the registry
 * forgot it. Ids are computed asynchronously (Web Crypto), so {@linkcode WatchLinks.resolve}
 * waits for the computations in flight before it says an id is unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WatchLinks } from "./watch_links.ts";
 * const links = new WatchLinks("s3cret");
 * links.add("pipe", "db");
 * const id = await links.id("pipe", "db");
 * assert.deepEqual(await links.resolve(id), { kind: "pipe", name: "db" });
 * links.delete("pipe", "db");
 * assert.equal(await links.resolve(id), undefined);
 * ```
 */
export class WatchLinks {
  #key: Promise<CryptoKey>;
  #live = new Set<string>();
  #ids = new Map<string, string>();
  #targets = new Map<string, WatchTarget>();
  #pending = new Set<Promise<unknown>>();
  #hiders = new Map<string, (data: unknown) => unknown>();

  /**
   * `secret` may arrive later (several nodes share one through Redis: `Bridge.sharedSecret`);
   * ids are computed once it has.
   */
  constructor(secret: string | Promise<string>) {
    this.#key = Promise.resolve(secret).then(watchKey);
  }

  /** The watch id of `kind:name`, whether or not the registry holds it. */
  async id(kind: TopicKind, name: string): Promise<string> {
    return this.#ids.get(`${kind}:${name}`) ?? await watchId(await this.#key, kind, name);
  }

  /** An entry `kind:name` came: its id will resolve. */
  add(kind: TopicKind, name: string): void {
    const key = `${kind}:${name}`;
    this.#live.add(key);
    const computing = this.id(kind, name).then((id) => {
      if (!this.#live.has(key)) return;
      this.#ids.set(key, id);
      this.#targets.set(id, { kind, name });
    });
    this.#pending.add(computing);
    computing.finally(() => this.#pending.delete(computing));
  }

  /** The entry `kind:name` is gone: its id no longer resolves. */
  delete(kind: TopicKind, name: string): void {
    const key = `${kind}:${name}`;
    this.#live.delete(key);
    const id = this.#ids.get(key);
    if (id === undefined) return;
    this.#ids.delete(key);
    this.#targets.delete(id);
    this.#hiders.delete(id);
  }

  /** What `id` stands for, or `undefined` when no live entry has it. */
  async resolve(id: string): Promise<WatchTarget | undefined> {
    const target = this.#targets.get(id);
    if (target || this.#pending.size === 0) return target;
    await Promise.all(this.#pending);
    return this.#targets.get(id);
  }

  /**
   * {@linkcode hideName} for one watch id, the same function for every call with that id, so
   * that spectators of one link share each event's encoding.
   */
  hider(id: string, name: string): (data: unknown) => unknown {
    let hide = this.#hiders.get(id);
    if (!hide) {
      hide = (data) => hideName(data, name, id);
      if (this.#targets.has(id)) this.#hiders.set(id, hide);
    }
    return hide;
  }
}
