import type { Config } from "../config.ts";
import { type Job, parseOutcome, startJob } from "../job/job.ts";
import { nameError } from "../names.ts";
import type { JobSnapshot } from "../progress/snapshot.ts";
import { TopicEvent } from "../progress/topic.ts";
import type { SpectatorOptions } from "../sse/spectator.ts";
import type { Tracker } from "../tracker.ts";
import { readJsonObject } from "./json_body.ts";
import { publicOrigin } from "./origin.ts";
import type { RouteHandler } from "./router.ts";
import { type PageRenderer, spectateResponse } from "./spectate.ts";
import { HttpError } from "../http_error.ts";

/** Where the routes are mounted; job ids are the path after it. */
const MOUNT = "/api/v1/jobs";

/** The event a job's SSE stream ends with when it outlives `--stream-timeout`. */
const STREAM_TIMEOUT = new TopicEvent("timeout", { message: "Stream timeout" });

/** How a job's SSE spectators are attached: here, and through a watch link. */
export function jobSpectatorOptions(config: Pick<Config, "streamTimeout">): SpectatorOptions {
  return {
    latestWins: ["progress"],
    // A job stream's lifetime is --stream-timeout, and it ends with `timeout`.
    ttl: config.streamTimeout,
    farewell: STREAM_TIMEOUT,
  };
}

/** Options for {@linkcode jobHandlers}. */
export interface JobRoutesOptions {
  config: Config;
  /** A job's HTML page; without it, browsers get the SSE stream. */
  page?: PageRenderer<JobSnapshot> | undefined;
  /**
   * The hook for watch links (the access area): the absolute watch URL (`ORIGIN/w/WATCHID`)
   * of a topic. Without it, the start answer has no `watch` field.
   */
  watchUrl?: ((kind: "job", id: string, origin: string) => string | Promise<string>) | undefined;
}

const NOT_FOUND = "Task not found";

/**
 * The handlers of the job routes (the route table gives them the decoded id):
 *
 * - `start`, `POST /api/v1/jobs/{id}[?join]`: start (or start-or-join); optional JSON body, the
 *   first snapshot. `201` created or `200` joined, `{"id","url","watch","joined"}`.
 * - `progress`, `POST /api/v1/jobs/{id}/progress`: publish a JSON object; `204`.
 * - `finish`, `POST /api/v1/jobs/{id}/finish`: `{"ok":true,…}` or `{"ok":false,"error":"…"}`;
 *   `200` with the job's snapshot, which after the first finish holds the recorded result.
 * - `spectate`, `GET /api/v1/jobs/{id}`: JSON snapshot, page, SSE.
 *
 * Ids may have `/` segments; a POST to `{id}/progress` or `{id}/finish` is that action on
 * `{id}` (the route table tries those first), never a start. An unknown id is `404 "Task not found"`. Errors are thrown as `HttpError`.
 */
export function jobHandlers(
  tracker: Tracker,
  options: JobRoutesOptions,
): { start: RouteHandler; progress: RouteHandler; finish: RouteHandler; spectate: RouteHandler } {
  const { config } = options;

  function findJob(id: string): Job {
    const invalid = nameError(id);
    if (invalid) throw new HttpError(400, invalid.replace("Invalid name", "Invalid job id"));
    const job = tracker.find<Job>("job", id);
    if (!job) throw new HttpError(404, NOT_FOUND);
    return job;
  }

  const start: RouteHandler = async (c, { name: id }) => {
    const invalid = nameError(id);
    if (invalid) throw new HttpError(400, invalid.replace("Invalid name", "Invalid job id"));
    const last = id.split("/").at(-1)!;
    if (last === "progress" || last === "finish") {
      // `{id}/progress` is always the action on `{id}`: such a job could never be published to.
      throw new HttpError(
        400,
        `Invalid job id '${id}': it may not end in a '${last}' segment (that path is an action)`,
      );
    }
    const first = await readJsonObject(c.req.raw, config.maxEventBytes);
    const { created } = startJob(tracker, id, {
      join: c.req.query("join") !== undefined,
      first,
      idle: config.jobIdle,
    });
    const origin = publicOrigin(c.req.raw, config.trustProxy);
    const watch = options.watchUrl ? await options.watchUrl("job", id, origin) : undefined;
    return c.json({
      id,
      url: `${origin}${MOUNT}/${id}`,
      ...(watch === undefined ? {} : { watch }),
      joined: !created,
    }, created ? 201 : 200);
  };

  const progress: RouteHandler = async (c, { name: id }) => {
    const job = findJob(id);
    const body = await readJsonObject(c.req.raw, config.maxEventBytes);
    if (body === null) throw new HttpError(400, "A progress body must be a JSON object");
    job.publish(body);
    return c.body(null, 204);
  };

  const finish: RouteHandler = async (c, { name: id }) => {
    const job = findJob(id);
    const body = await readJsonObject(c.req.raw, config.maxEventBytes);
    job.finish(parseOutcome(body));
    return c.json(job.topic.snapshot());
  };

  const spectate: RouteHandler = (c, { name: id }) => {
    const job = findJob(id);
    return spectateResponse(c, {
      snapshot: () => job.topic.snapshot(),
      attach: (signal, extra) =>
        tracker.spectate(job.topic, { ...jobSpectatorOptions(config), signal, ...extra }),
      endSeenBy: (lastEventId) => job.topic.endSeenBy(lastEventId),
      page: options.page,
      base: new URL(c.req.url).pathname,
      origin: publicOrigin(c.req.raw, config.trustProxy),
    });
  };

  return { start, progress, finish, spectate };
}
