import { nameError } from "../names.ts";
import { TOPIC_KINDS, type TopicKind } from "../tracker.ts";

/** What a hub channel names: a topic of one kind, or a watch link. */
export type ChannelKind = TopicKind | "watch";

/** A parsed channel: `pipe:NAME`, `job:ID`, `process:ID` or `watch:WATCHID`. */
export interface Channel {
  kind: ChannelKind;
  /** The topic's name, or the watch id. */
  name: string;
}

const WATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Parses a hub channel. The name after the first `:` follows the rules of every name (see
 * `nameError`); a watch id is base64url.
 *
 * @throws {TypeError} with a one-line message when the channel is not one the hub knows.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseChannel } from "./channel.ts";
 * assert.deepEqual(parseChannel("process:build-1"), { kind: "process", name: "build-1" });
 * assert.throws(() => parseChannel("build-1"), /Invalid channel 'build-1'/);
 * ```
 */
export function parseChannel(channel: string): Channel {
  const colon = channel.indexOf(":");
  const kind = channel.slice(0, colon);
  const name = channel.slice(colon + 1);
  if (colon < 0 || !(kind === "watch" || (TOPIC_KINDS as readonly string[]).includes(kind))) {
    throw new TypeError(
      `Invalid channel '${clip(channel)}': use pipe:NAME, job:ID, process:ID or watch:ID`,
    );
  }
  if (kind === "watch") {
    if (!WATCH_ID.test(name)) throw new TypeError(`Invalid watch id '${clip(name)}'`);
  } else {
    const invalid = nameError(name);
    if (invalid) throw new TypeError(`Invalid channel '${clip(channel)}': ${invalid}`);
  }
  return { kind: kind as ChannelKind, name };
}

/** Keeps an error line short when a client sends a huge channel. */
function clip(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
