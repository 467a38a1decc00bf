import { Hono } from "hono";
import { cors } from "hono/cors";
import { Access } from "./access/access.ts";
import { guardRoute } from "./access/guard.ts";
import { WatchLinks } from "./access/watch_links.ts";
import { type RemoteWatch, watchHandler } from "./access/watch_routes.ts";
import type { Config } from "./config.ts";
import { hubGrant, hubHandlers, type WebSocketSupport } from "./http/hub_routes.ts";
import { jobHandlers, jobSpectatorOptions } from "./http/job_routes.ts";
import { type DashboardRenderer, pipeHandlers, type WatchUrl } from "./http/pipe_routes.ts";
import { metaHandlers } from "./http/meta_routes.ts";
import { publicOrigin } from "./http/origin.ts";
import {
  PROCESS_SPECTATOR_QUEUE_BYTES,
  processHandlers,
  type ProcessRoutesOptions,
} from "./http/process_routes.ts";
import { staticHandlers } from "./http/static_routes.ts";
import { errorResponse } from "./http/respond.ts";
import { allowedMethods, mountRoutes, type RingsideEnv } from "./http/router.ts";
import type { PageRenderer, SpectateUrls } from "./http/spectate.ts";
import { HttpError } from "./http_error.ts";
import type { JobSnapshot, PipeSnapshot, ProcessSnapshot } from "./progress/snapshot.ts";
import type { Log } from "./log.ts";
import { Hub, type RemoteTopics } from "./hub/hub.ts";
import { WATCH } from "./topic_kinds.ts";
import { type TopicKind, Tracker } from "./tracker.ts";
import { EndNotifier } from "./notify/end_notifier.ts";
import { framingHeaders } from "./dashboard/framing.ts";

/** Options for {@linkcode createApp}. */
export interface AppOptions {
  /** Where transfers are logged. @default nothing is logged */
  log?: Log;
  /** Shown by `/version`. @default "unknown" */
  runtime?: string;
  /** The dashboard page; without it, browsers get SSE. */
  dashboard?: DashboardRenderer;
  /** The front page `/`; without it, `/` shows the help text. */
  frontPage?: (options: { origin: string }) => string;
  /** A job's page; without it, browsers get the job's SSE stream. */
  jobPage?: PageRenderer<JobSnapshot>;
  /** A process's page (terminal view); without it, browsers get the SSE stream. */
  processPage?: PageRenderer<ProcessSnapshot>;
  /** Other nodes (the Redis bridge): watch links of topics they own work here too. */
  watchRemote?: RemoteWatch;
  /** Starts a named task's child (the runtime's `spawn`); without it, tasks answer `501`. */
  spawn?: ProcessRoutesOptions["spawn"];
  /** The server's environment, for a task's `PATH` and `--task-env` variables. */
  env?: Record<string, string | undefined>;
  /** A topic's watch link (`/w/…`), for start answers; without it they carry none. */
  watchLink?: ProcessRoutesOptions["watchLink"];
  /** WebSockets on the serving runtime, for the hub `/api/v1/ws`; without it, `501`. */
  webSocket?: WebSocketSupport;
  /** Topics other nodes own (the Redis bridge), for hub channels. @default one node */
  remote?: RemoteTopics | undefined;
}

/** The app and its state. */
export interface App {
  /** A runtime-neutral `Request → Response` handler. */
  readonly app: Hono<RingsideEnv>;
  readonly tracker: Tracker;
  /** The WebSocket hub. */
  readonly hub: Hub;
  /** Who may do what (`--token`, `--jwt-secret`, `--private`), for routes outside the app. */
  readonly access: Access;
  /** The watch link (`ORIGIN/w/ID`) of a topic; job start answers and `ringside run` print it. */
  readonly watchUrl: WatchUrl;
  /** Watch ids both ways and the name-hiding map, for the hub's `watch:{id}` channels. */
  readonly watchLinks: WatchLinks;
  /** Webhooks on every end (`--notify`), drained on SIGTERM; `null` without targets. */
  readonly notifier: EndNotifier | null;
}

/**
 * Builds the whole server as a Hono app. No side effects: nothing listens until a runtime
 * adapter serves `app.fetch`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createApp } from "./app.ts";
 * import { defaultConfig } from "./config.ts";
 * const { app, tracker } = createApp(defaultConfig());
 * assert.equal((await app.request("/healthz")).status, 200);
 * tracker.close();
 * ```
 */
export function createApp(config: Config, options: AppOptions = {}): App {
  const tracker = new Tracker(config, options.log);
  const access = new Access(config);
  const links = new WatchLinks(config.secret);
  tracker.addEventListener("entry", ({ entry, present }) => {
    links[present ? "add" : "delete"](entry.kind, entry.name);
  });
  const notifier = config.notify.length === 0 ? null : new EndNotifier(tracker, config, {
    watchId: (kind, name) => links.id(kind, name),
    log: options.log,
  });
  // A watch link is given out only once every node can resolve it (DESIGN: the mapping is in
  // Redis before the start is answered); on one node, at once.
  const watchUrl: WatchUrl = async (kind, name, origin) => {
    await tracker.published(kind, name);
    return `${origin}/w/${await links.id(kind, name)}`;
  };
  const hub = new Hub(tracker, {
    private: config.private,
    checkToken: async (token) => {
      const grant = await access.verify(token);
      return typeof grant === "string" ? grant : hubGrant(grant);
    },
    // A watch id this node does not know may be another node's: Redis has its `kind:name`.
    resolveWatch: async (watchId) => {
      const local = await links.resolve(watchId);
      if (local || !options.watchRemote) return local;
      const key = await options.watchRemote.resolveWatch(watchId).catch(() => null);
      const colon = key ? key.indexOf(":") : -1;
      if (!key || colon < 0) return null;
      return { kind: key.slice(0, colon) as TopicKind, name: key.slice(colon + 1) };
    },
    writeTimeout: config.writeTimeout,
    remote: options.remote,
    watch: WATCH,
  });
  const app = new Hono<RingsideEnv>();
  // The runtime hands some requests over with a URL that does not parse (`CONNECT foo`, a
  // `Host` of `[bad`); every handler below may rely on `new URL(c.req.url)`.
  app.use("*", async (c, next) => {
    if (URL.canParse(c.req.raw.url)) return await next();
    const target = c.req.raw.url.slice(0, 200);
    return errorResponse(c.req.raw, 400, `Invalid request target '${target}'`);
  });
  const corsHeaders = cors({
    origin: "*",
    exposeHeaders: ["*"],
    maxAge: 86400,
    allowMethods: (_origin, c) => [...(allowedMethods(c.req.path) ?? [])],
  });
  // A WebSocket upgrade's response is the runtime's own (immutable on Deno): no CORS headers.
  app.use("*", (c, next) => c.req.path === "/api/v1/ws" ? next() : corsHeaders(c, next));

  const dashboard = options.dashboard ? { dashboard: options.dashboard } : {};
  const pipePage = options.dashboard &&
    ((snapshot: PipeSnapshot, urls: SpectateUrls) => options.dashboard!({ snapshot, ...urls }));
  const pipe = pipeHandlers(tracker, { config, watchUrl, ...dashboard });
  const job = jobHandlers(tracker, { config, page: options.jobPage, watchUrl });
  const process = processHandlers(tracker, {
    config,
    page: options.processPage,
    spawn: options.spawn,
    env: options.env,
    watchLink: async (kind, name) => {
      await tracker.published(kind, name);
      return `/w/${await links.id(kind, name)}`;
    },
  });
  const meta = metaHandlers(tracker, {
    runtime: options.runtime ?? "unknown",
    trustProxy: config.trustProxy,
    hub,
    node: config.node,
    notify: notifier ?? undefined,
  });
  const files = staticHandlers();
  const hubRoutes = hubHandlers(tracker, hub, {
    webSocket: options.webSocket,
    node: config.node,
  });
  // Every route is in the table (src/http/route_table.ts); here each gets its handler, and
  // mountRoutes puts the one guard in front of each.
  mountRoutes(app, {
    front: (c) => {
      const origin = publicOrigin(c.req.raw, config.trustProxy);
      if (options.frontPage) {
        return c.html(options.frontPage({ origin }), 200, framingHeaders(false));
      }
      return c.redirect("/help");
    },
    help: meta.help,
    version: meta.version,
    healthz: meta.healthz,
    metrics: meta.metrics,
    favicon: files.favicon,
    robots: files.robots,
    static: files.file,
    watch: watchHandler(tracker, links, {
      pages: { pipe: pipePage, job: options.jobPage, process: options.processPage },
      trustProxy: config.trustProxy,
      remote: options.watchRemote,
      spectators: {
        job: jobSpectatorOptions(config),
        process: { latestWins: [], maxQueueBytes: PROCESS_SPECTATOR_QUEUE_BYTES },
      },
    }),
    hub: hubRoutes.hub,
    stats: hubRoutes.stats,
    "pipe.send": pipe.send,
    "pipe.get": pipe.get,
    "job.progress": job.progress,
    "job.finish": job.finish,
    "job.start": job.start,
    "job.spectate": job.spectate,
    "process.output": process.output,
    "process.status": process.status,
    "process.run": process.run,
    "process.stop": process.stop,
    "process.spectate": process.spectate,
    "short.send": pipe.send,
    "short.get": pipe.get,
  }, (request, route) => guardRoute(access, request, route, { trustProxy: config.trustProxy }));

  app.notFound((c) => {
    const path = c.req.path;
    const allowed = allowedMethods(path);
    if (allowed && !allowed.includes(c.req.method)) {
      return errorResponse(
        c.req.raw,
        405,
        `Method ${c.req.method} is not allowed on ${path} (${allowed.join(", ")})`,
        { headers: { allow: allowed.join(", ") } },
      );
    }
    return errorResponse(c.req.raw, 404, `Not found: ${path}`);
  });
  // Errors are answered here, once, in the one shape (see errorResponse).
  app.onError((error, c) => {
    const route = c.get("route");
    const dataPath = route?.spec.kind === "pipe" &&
      (route.action === "send" || route.action === "receive");
    if (error instanceof HttpError) {
      return errorResponse(c.req.raw, error.status, error.message, {
        dataPath,
        headers: error.headers,
      });
    }
    options.log?.("request failed", { path: c.req.path, error: String(error) });
    return errorResponse(c.req.raw, 500, "Internal server error", { dataPath });
  });
  return { app, tracker, hub, access, watchUrl, watchLinks: links, notifier };
}
