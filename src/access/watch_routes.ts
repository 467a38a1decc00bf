import type { PageRenderer } from "../http/spectate.ts";
import { spectateResponse } from "../http/spectate.ts";
import { publicOrigin } from "../http/origin.ts";
import type { RouteHandler } from "../http/router.ts";
import type { JobSnapshot, PipeSnapshot, ProcessSnapshot } from "../progress/snapshot.ts";
import type { TopicKind, Tracker } from "../tracker.ts";
import type { RemoteTopic } from "../cluster/remote_topic.ts";
import type { WireRecord } from "../cluster/wire.ts";
import type { Topic } from "../progress/topic.ts";
import type { SpectatorOptions } from "../sse/spectator.ts";
import { attachHidingName, type WatchLinks, type WatchTarget } from "./watch_links.ts";
import { HttpError } from "../http_error.ts";
import { badgeResponse } from "../badge/badge_response.ts";

/** Each kind's HTML page; a kind without one sends browsers its SSE stream. */
export interface WatchPages {
  pipe?: PageRenderer<PipeSnapshot> | undefined;
  job?: PageRenderer<JobSnapshot> | undefined;
  process?: PageRenderer<ProcessSnapshot> | undefined;
}

/** The other nodes, through Redis (`Bridge`): watch links of topics this node does not own. */
export interface RemoteWatch {
  /** `kind:name` behind a watch id, `null` when unknown. */
  resolveWatch(watchId: string): Promise<string | null>;
  /** The topic another node owns; each one got is given back with `release`. */
  remote(kind: string, name: string): Promise<RemoteTopic | null>;
  release(topic: RemoteTopic): void;
  /** The owner's latest record of a topic, `null` when unknown or unreachable. */
  record(kind: string, name: string): Promise<WireRecord | null>;
}

/**
 * `GET /w/{watchId}`: the dashboard, SSE stream or JSON snapshot of the one topic the id
 * stands for (content negotiation as on the topic's own URL), with the topic's name replaced by
 * the watch id in everything served. Nothing else: it never yields a pipe's bytes and never
 * publishes (the route table gives it `GET` only); an unknown id is `404`. It needs no token, even with
 * `--private`: the link is the capability to watch. With `remote`, an id this node does not
 * know is looked up in Redis and served from the owner's events, as on the owner.
 */
export function watchHandler(
  tracker: Tracker,
  links: WatchLinks,
  options: {
    pages: WatchPages;
    trustProxy: boolean;
    remote?: RemoteWatch | undefined;
    /** Each kind's spectator options (a job's stream timeout), as on its own URL. */
    spectators?: Partial<Record<TopicKind, SpectatorOptions>>;
  },
): RouteHandler {
  const { pages, remote } = options;

  /** What a watch id stands for here, or on another node through Redis. */
  interface Found {
    target: WatchTarget;
    /** The topic's current run. */
    topic: () => Topic;
    /** Gives a remote topic back; nothing for a local one. */
    release: () => void;
  }

  async function find(id: string): Promise<Found | null> {
    const local = await links.resolve(id);
    const entry = local && tracker.find(local.kind, local.name);
    if (local && entry) return { target: local, topic: () => entry.topic, release: () => {} };
    const key = remote && await remote.resolveWatch(id).catch(() => null);
    const colon = key ? key.indexOf(":") : -1;
    if (!remote || !key || colon < 0) return null;
    const target = { kind: key.slice(0, colon) as TopicKind, name: key.slice(colon + 1) };
    const topic = await remote.remote(target.kind, target.name).catch(() => null);
    if (!topic) return null;
    // A topic other spectators hold here took its snapshot when first fetched, and a
    // process's events do not carry one: the owner's latest record is the JSON answer.
    const record = await remote.record(target.kind, target.name);
    if (record) topic.refresh(record);
    return { target, topic: () => topic, release: () => remote.release(topic) };
  }

  return async (c) => {
    // `/w/ID.svg`: the topic's badge (see badgeResponse).
    const raw = c.req.param("id") ?? "";
    const svg = raw.endsWith(".svg");
    const id = svg ? raw.slice(0, -4) : raw;
    const found = /^[A-Za-z0-9_-]{22}$/.test(id) ? await find(id) : null;
    if (!found) throw new HttpError(404, `Unknown watch link '${id}'`);
    const { target, release } = found;
    const hide = links.hider(id, target.name);
    let attached = false;
    try {
      if (svg) return badgeResponse(c.req.raw, hide(found.topic().snapshot()));
      return spectateResponse(c, {
        snapshot: () => hide(found.topic().snapshot()),
        attach: (signal) => {
          const spectator = attachHidingName(
            target.name,
            id,
            () =>
              tracker.spectate(found.topic(), {
                ...options.spectators?.[target.kind],
                signal,
                mapData: hide,
                onClose: release,
              }),
          );
          attached = true;
          return spectator;
        },
        endSeenBy: (lastEventId) => found.topic().endSeenBy(lastEventId),
        page: pages[target.kind] as PageRenderer<unknown> | undefined,
        base: `/w/${id}`,
        origin: publicOrigin(c.req.raw, options.trustProxy),
      });
    } finally {
      // A JSON answer, a page or a refusal is done with the remote topic at once.
      if (!attached) release();
    }
  };
}
