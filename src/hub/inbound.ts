/** A message a hub client may send, checked. */
export type Inbound =
  | { type: "ping" }
  | { type: "subscribe" | "unsubscribe"; channel: string }
  | { type: "auth"; token: string };

/**
 * Reads one inbound WebSocket frame of the hub: a JSON text `{"type":…,"data":…}` of a known
 * type with its argument, or the one line that says what is wrong (sent back as an `error`
 * message; the connection stays open).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseInbound } from "./inbound.ts";
 * assert.deepEqual(parseInbound('{"type":"subscribe","data":"pipe:p"}'),
 *   { type: "subscribe", channel: "pipe:p" });
 * assert.match(String(parseInbound('{"type":"auth"}')), /needs the token/);
 * ```
 */
export function parseInbound(data: unknown): Inbound | string {
  if (typeof data !== "string") {
    return 'Binary frames are not understood: send JSON text like {"type":"ping"}';
  }
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return "Malformed JSON: each message must be one JSON object";
  }
  const { type, data: argument } =
    (typeof message === "object" && message !== null ? message : {}) as {
      type?: unknown;
      data?: unknown;
    };
  switch (type) {
    case "ping":
      return { type };
    case "subscribe":
    case "unsubscribe":
      if (typeof argument !== "string") {
        return `'${type}' needs a channel in data, like "pipe:NAME"`;
      }
      return { type, channel: argument };
    case "auth":
      return typeof argument === "string"
        ? { type, token: argument }
        : "'auth' needs the token in data";
    default:
      return typeof type === "string"
        ? `Unknown message type '${type.slice(0, 100)}' (subscribe, unsubscribe, ping, auth)`
        : 'Invalid message: expected {"type":"subscribe","data":"pipe:NAME"} or {"type":"ping"}';
  }
}
