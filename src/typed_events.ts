/** A listener of one event type of a {@linkcode TypedEventTarget}. */
export type TypedListener<E extends Event> = ((event: E) => void) | { handleEvent(event: E): void };

/**
 * An `EventTarget` whose event types and event classes are named by `M` (type → class), so
 * that `addEventListener("end", (event) => event.entry)` type-checks. A listener that throws
 * never breaks the dispatching path: `onError` gets the fault, and the other listeners still
 * run.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TypedEventTarget } from "./typed_events.ts";
 * class Ping extends Event {
 *   constructor(readonly n: number) {
 *     super("ping");
 *   }
 * }
 * const faults: string[] = [];
 * const target = new TypedEventTarget<{ ping: Ping }>((error) => faults.push(String(error)));
 * const seen: number[] = [];
 * const listener = (event: Ping) => seen.push(event.n);
 * target.addEventListener("ping", () => {
 *   throw new Error("broken");
 * });
 * target.addEventListener("ping", listener);
 * target.dispatchEvent(new Ping(1));
 * target.removeEventListener("ping", listener);
 * target.dispatchEvent(new Ping(2));
 * assert.deepEqual([seen, faults], [[1], ["Error: broken", "Error: broken"]]);
 * ```
 */
export class TypedEventTarget<M extends Record<string, Event>> extends EventTarget {
  #onError: (error: unknown, event: Event) => void;
  #guarded = new WeakMap<object, EventListener>();

  constructor(onError: (error: unknown, event: Event) => void) {
    super();
    this.#onError = onError;
  }

  override addEventListener<K extends keyof M & string>(
    type: K,
    listener: TypedListener<M[K]> | null,
    options?: boolean | AddEventListenerOptions,
  ): void {
    if (!listener) return;
    let guarded = this.#guarded.get(listener);
    if (!guarded) {
      guarded = (event) => {
        try {
          if (typeof listener === "function") listener(event as M[K]);
          else listener.handleEvent(event as M[K]);
        } catch (error) {
          this.#onError(error, event);
        }
      };
      this.#guarded.set(listener, guarded);
    }
    super.addEventListener(type, guarded, options);
  }

  override removeEventListener<K extends keyof M & string>(
    type: K,
    listener: TypedListener<M[K]> | null,
    options?: boolean | EventListenerOptions,
  ): void {
    const guarded = listener && this.#guarded.get(listener);
    if (guarded) super.removeEventListener(type, guarded, options);
  }
}
