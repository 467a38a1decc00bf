import { hideName } from "../access/watch_links.ts";
import { AUDIENCE_EVENT, type Topic, type TopicEvent } from "../progress/topic.ts";

/** One message for a hub client, serialized once for every subscriber of its channel. */
export interface HubMessage {
  /** The JSON text frame. */
  readonly text: string;
  /** A newer message of the same channel may replace it while the client is backpressured. */
  readonly latestWins: boolean;
  /** The topic's last message: the subscription ends after it. */
  readonly final: boolean;
}

/** Where a topic's events go: the channel and the id its messages carry. */
export interface ChannelView {
  /** `pipe:NAME`, `process:ID`, `watch:WATCHID`… */
  readonly channel: string;
  /** The id messages carry (`processId`, a snapshot's `name`/`id`): the watch id on a watch link. */
  readonly id: string;
}

/**
 * The hub messages a topic event makes on a channel (none for events the hub does not carry).
 *
 * - process `output` → `{"type":"process_output","channel","processId","seq","stream","data":line}`,
 *   queued in order, never replaced;
 * - process `status` → `{"type":"process_status","channel","processId","data":{"status","exitCode"}}`;
 * - process `spectators` → `{"type":"process_spectators","channel","processId","data":{"spectators":N}}`,
 *   latest-wins (a newer count replaces an unsent one);
 * - every event of any other kind (pipe, job) → `{"type":"KIND_progress","channel","data":snapshot}`
 *   with the topic's full snapshot; latest-wins until the terminal one, which is final (a job's
 *   `spectators` event too: the snapshot carries the count).
 *
 * On a watch channel the snapshot's `name` or `id` is the watch id (it never reveals the name).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PipeTopic } from "../pipe/pipe_topic.ts";
 * import { hubMessages } from "./messages.ts";
 * const topic = new PipeTopic("p");
 * const [message] = hubMessages(topic, topic.greeting()[0]!, { channel: "pipe:p", id: "p" });
 * assert.equal(JSON.parse(message!.text).type, "pipe_progress");
 * assert.equal(JSON.parse(message!.text).data.state, "idle");
 * ```
 */
export function hubMessages(topic: Topic, event: TopicEvent, view: ChannelView): HubMessage[] {
  // Made once per event and channel: every subscriber of a channel shares the text.
  return event.shared(view.channel, () => make(topic, event, view));
}

function make(topic: Topic, event: TopicEvent, view: ChannelView): HubMessage[] {
  if (topic.kind === "process") return processMessages(topic, event, view);
  const snapshot = renamed(snapshotAt(topic, event), topic, view);
  return [{
    text: JSON.stringify({ type: `${topic.kind}_progress`, channel: view.channel, data: snapshot }),
    latestWins: !event.terminal,
    final: event.terminal,
  }];
}

function processMessages(topic: Topic, event: TopicEvent, view: ChannelView): HubMessage[] {
  const { channel, id: processId } = view;
  if (event.type === "output") {
    const { seq, stream, line } = event.data as { seq: number; stream: string; line: string };
    return [{
      text: JSON.stringify({ type: "process_output", channel, processId, seq, stream, data: line }),
      latestWins: false,
      final: false,
    }];
  }
  if (event.type === AUDIENCE_EVENT) {
    return [{
      text: JSON.stringify({ type: "process_spectators", channel, processId, data: event.data }),
      latestWins: true,
      final: false,
    }];
  }
  if (event.type === "status" || event.type === "state") {
    const { status, exitCode } =
      (event.type === "status" ? event.data : snapshotAt(topic, event)) as {
        status: string;
        exitCode: number | null;
      };
    return [{
      text: JSON.stringify({
        type: "process_status",
        channel,
        processId,
        data: { status, exitCode },
      }),
      latestWins: false,
      final: event.terminal,
    }];
  }
  return [];
}

/**
 * The topic's snapshot when the event was dispatched, the same for every subscriber (a job's
 * events carry the published object, which may hold any field, `"kind":"job"` included); the
 * current one for an event made without a topic (a remote topic's greeting).
 */
function snapshotAt(topic: Topic, event: TopicEvent): unknown {
  return event.snapshot ?? topic.snapshot();
}

/** A watch channel's snapshot carries the watch id where it would carry the name. */
function renamed(snapshot: unknown, topic: Topic, view: ChannelView): unknown {
  return view.id === topic.name ? snapshot : hideName(snapshot, topic.name, view.id);
}
