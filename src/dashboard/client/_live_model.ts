/**
 * What the pipe, job and process models share: the state of the page's link to the server, and
 * the watcher count, changed the same way by each reducer.
 *
 * @module
 */

/** The dashboard's link to the server. */
export type Connection = "connecting" | "live" | "reconnecting" | "ended";

/** An action every live model answers the same way: the link changed, or the watcher count. */
export type LinkAction =
  | { type: "connection"; connection: Connection }
  | { type: "spectators"; spectators: number };

/**
 * Applies a {@linkcode LinkAction} to a job's or a process's model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reduceLink } from "./_live_model.ts";
 * const model = { snapshot: { spectators: 1 }, connection: "live" as const };
 * assert.equal(reduceLink(model, { type: "spectators", spectators: 4 }).snapshot.spectators, 4);
 * assert.equal(reduceLink(model, { type: "connection", connection: "ended" }).connection, "ended");
 * ```
 */
export function reduceLink<M extends { connection: Connection; snapshot: { spectators: number } }>(
  model: M,
  action: LinkAction,
): M {
  return action.type === "connection"
    ? withConnection(model, action.connection)
    : withSpectators(model, action.spectators);
}

/**
 * The model with the link's new state. An ended link stays ended: the model is final, and a late
 * word from the stream being closed must not bring the page back to life.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withConnection } from "./_live_model.ts";
 * assert.equal(withConnection({ connection: "connecting" }, "live").connection, "live");
 * assert.equal(withConnection({ connection: "ended" }, "reconnecting").connection, "ended");
 * ```
 */
export function withConnection<M extends { connection: Connection }>(
  model: M,
  connection: Connection,
): M {
  if (model.connection === "ended") return model;
  return { ...model, connection };
}

/**
 * The model with a new watcher count (a `spectators` event, or a snapshot of a finished job or
 * process, which brings nothing else).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withSpectators } from "./_live_model.ts";
 * const model = { snapshot: { id: "a", spectators: 1 }, connection: "live" };
 * assert.deepEqual(withSpectators(model, 3), { snapshot: { id: "a", spectators: 3 }, connection: "live" });
 * ```
 */
export function withSpectators<M extends { snapshot: { spectators: number } }>(
  model: M,
  spectators: number,
): M {
  return { ...model, snapshot: { ...model.snapshot, spectators } };
}
