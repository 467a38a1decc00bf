import { Hono } from "hono";
import type { PageRenderer } from "../http/spectate.ts";
import { spectateResponse } from "../http/spectate.ts";
import { publicOrigin } from "../http/origin.ts";
import { errorResponse } from "../http/respond.ts";
import type { JobSnapshot, PipeSnapshot, ProcessSnapshot } from "../progress/snapshot.ts";
import { LimitError, type TopicKind, type Tracker } from "../tracker.ts";
import type { WatchLinks } from "./watch_links.ts";

/** Each kind's HTML page; a kind without one sends browsers its SSE stream. */
export interface WatchPages {
  pipe?: PageRenderer<PipeSnapshot> | undefined;
  job?: PageRenderer<JobSnapshot> | undefined;
  process?: PageRenderer<ProcessSnapshot> | undefined;
}

/**
 * `GET /w/{watchId}`: the dashboard, SSE stream or JSON snapshot of the one topic the id
 * stands for (content negotiation as on the topic's own URL), with the topic's name replaced by
 * the watch id in everything served. Nothing else: it never yields a pipe's bytes and never
 * publishes; any other method is `405`, an unknown id `404`. It needs no token, even with
 * `--private`: the link is the capability to watch.
 */
export function watchRoutes(
  tracker: Tracker,
  links: WatchLinks,
  options: { pages: WatchPages; trustProxy: boolean },
): Hono {
  const { pages } = options;
  const app = new Hono();
  app.get("/w/:id", async (c) => {
    const id = c.req.param("id");
    const target = /^[A-Za-z0-9_-]{22}$/.test(id) ? await links.resolve(id) : undefined;
    const entry = target && tracker.find(target.kind, target.name);
    if (!target || !entry) return errorResponse(c.req.raw, 404, `Unknown watch link '${id}'`);
    const hide = links.hider(id, target.name);
    try {
      return spectateResponse(c, {
        snapshot: () => hide(entry.topic.snapshot()),
        attach: () => tracker.spectate(entry.topic, { mapData: hide }),
        page: pages[target.kind as TopicKind] as PageRenderer<unknown> | undefined,
        base: `/w/${id}`,
        origin: publicOrigin(c.req.raw, options.trustProxy),
      });
    } catch (error) {
      if (!(error instanceof LimitError)) throw error;
      const message = error.message.replaceAll(`'${target.name}'`, `'${id}'`);
      return errorResponse(c.req.raw, error.status, message);
    }
  });
  app.all("/w/:id", (c) => {
    const response = errorResponse(
      c.req.raw,
      405,
      `Method ${c.req.method} not allowed: a watch link only watches (GET)`,
    );
    response.headers.set("allow", "GET, HEAD");
    return response;
  });
  return app;
}
