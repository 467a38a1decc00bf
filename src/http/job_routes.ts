import { type Context, Hono } from "hono";
import type { Config } from "../config.ts";
import { type Job, parseOutcome, startJob } from "../job/job.ts";
import { nameError } from "../names.ts";
import type { JobSnapshot } from "../progress/snapshot.ts";
import { TopicEvent } from "../progress/topic.ts";
import type { SpectatorOptions } from "../sse/spectator.ts";
import type { Tracker } from "../tracker.ts";
import { readJsonObject } from "./json_body.ts";
import { publicOrigin } from "./origin.ts";
import { spectateFormat, SSE_HEADERS } from "./respond.ts";
import { type PageRenderer, spectateResponse } from "./spectate.ts";
import { HttpError } from "../http_error.ts";

/** Where the routes are mounted; job ids are the path after it. */
const MOUNT = "/api/v1/jobs";

/** The last path segments of a POST that name an action on the job before them. */
const ACTIONS = new Set(["progress", "finish"]);

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

/** Options for {@linkcode jobRoutes}. */
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

/** An error as one JSON line, `{"error": …}`: the job API speaks JSON whatever `Accept` says. */
function jsonError(status: number, message: string): Response {
  return Response.json({ error: message }, { status });
}

function fail(error: unknown): Response {
  if (error instanceof HttpError) {
    return jsonError(error.status, error.message);
  }
  throw error;
}

const NOT_FOUND = "Task not found";

/**
 * Job routes, mounted at `/api/v1/jobs`:
 *
 * - `POST /{id}[?join]`: start (or start-or-join); optional JSON body, the first snapshot.
 *   `201` created or `200` joined, `{"id","url","watch","joined"}`.
 * - `POST /{id}/progress`: publish a JSON object; `204`.
 * - `POST /{id}/finish`: `{"ok":true,…}` or `{"ok":false,"error":"…"}`; `200` with the job's
 *   snapshot, which after the first finish holds the recorded result.
 * - `GET /{id}`: spectate (JSON snapshot, page, SSE).
 *
 * Ids may have `/` segments. On a POST, a last segment `progress` or `finish` after at least
 * one other segment is the action, so a job id never ends in such a segment (a start of one is
 * a `400`). Every error is `{"error": "one line"}`; an unknown id is
 * `404 {"error":"Task not found"}`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { defaultConfig } from "../config.ts";
 * import { Tracker } from "../tracker.ts";
 * import { jobRoutes } from "./job_routes.ts";
 * const tracker = new Tracker(defaultConfig());
 * const app = new Hono().route("/api/v1/jobs", jobRoutes(tracker, { config: defaultConfig() }));
 * const post = (path: string, body: string) =>
 *   app.request(`/api/v1/jobs/${path}`, { method: "POST", body });
 * assert.equal((await post("ci/7", '{"progress":0}')).status, 201);
 * assert.equal((await post("ci/7/progress", '{"progress":50}')).status, 204);
 * assert.equal((await (await post("ci/7/finish", '{"ok":true}')).json()).state, "success");
 * assert.deepEqual(await (await app.request("/api/v1/jobs/nope")).json(), { error: "Task not found" });
 * tracker.close();
 * ```
 */
export function jobRoutes(tracker: Tracker, options: JobRoutesOptions): Hono {
  const { config } = options;
  const app = new Hono();

  function pathAfterMount(c: Context): string {
    return new URL(c.req.url).pathname.slice(MOUNT.length + 1);
  }

  function findJob(id: string): Job {
    const job = tracker.find<Job>("job", id);
    if (!job) throw new HttpError(404, NOT_FOUND);
    return job;
  }

  app.post("/:rest{.+}", async (c) => {
    const path = pathAfterMount(c);
    const segments = path.split("/");
    const last = segments.at(-1)!;
    const action = segments.length > 1 && ACTIONS.has(last) ? last : "start";
    const id = action === "start" ? path : segments.slice(0, -1).join("/");
    const invalid = nameError(id);
    if (invalid) return jsonError(400, invalid.replace("Invalid name", "Invalid job id"));
    try {
      if (action === "start") {
        if (ACTIONS.has(last)) {
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
      }
      const job = findJob(id);
      const body = await readJsonObject(c.req.raw, config.maxEventBytes);
      if (action === "progress") {
        if (body === null) throw new HttpError(400, "A progress body must be a JSON object");
        job.publish(body);
        return c.body(null, 204);
      }
      job.finish(parseOutcome(body));
      return c.json(job.topic.snapshot());
    } catch (error) {
      return fail(error);
    }
  });

  app.get("/:rest{.+}", (c) => {
    const id = pathAfterMount(c);
    const invalid = nameError(id);
    if (invalid) return jsonError(400, invalid.replace("Invalid name", "Invalid job id"));
    try {
      const job = findJob(id);
      if (c.req.method === "HEAD") {
        // No spectator for a request that reads no body.
        const format = spectateFormat(c.req.raw);
        const type = format === "json"
          ? "application/json"
          : format === "html" && options.page
          ? "text/html; charset=UTF-8"
          : SSE_HEADERS["content-type"]!;
        return c.body(null, 200, { "content-type": type });
      }
      return spectateResponse(c, {
        snapshot: () => job.topic.snapshot(),
        attach: (signal, extra) =>
          tracker.spectate(job.topic, { ...jobSpectatorOptions(config), signal, ...extra }),
        page: options.page,
        base: new URL(c.req.url).pathname,
        origin: publicOrigin(c.req.raw, config.trustProxy),
      });
    } catch (error) {
      return fail(error);
    }
  });

  app.all("/:rest{.+}", (c) => {
    return c.json({ error: `Method ${c.req.method} is not allowed on a job` }, 405, {
      allow: "GET, HEAD, POST",
    });
  });

  return app;
}
