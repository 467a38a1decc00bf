import { Hono } from "hono";
import type { Tracker } from "../tracker.ts";
import { VERSION } from "../version.ts";

/**
 * The curl usage text of `GET /help`, with this server's origin filled in.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { helpText } from "./meta_routes.ts";
 * assert.match(helpText("http://h:1"), /curl -T - http:\/\/h:1\/api\/v1\/pipe\/NAME/);
 * ```
 */
export function helpText(origin: string): string {
  const pipe = `${origin}/api/v1/pipe/NAME`;
  return `ringside ${VERSION}: HTTP pipes anyone can watch.

Send (either side may come first; the transfer starts when both are here):
  tar czf - ./data | curl -T - ${pipe}
  curl -T file.iso ${pipe}
Receive:
  curl ${pipe} | tar xzf -
  curl ${pipe} > file.iso
Several receivers (every one gets every byte; all must use the same n):
  curl -T file.iso "${pipe}?n=3"        curl "${pipe}?n=3" > copy
Give the total for percent and ETA when the length is unknown:
  tar czf - ./data | curl -T - "${pipe}?size=8160000000"

Watch (never takes a receiver's slot, never slows the transfer):
  open ${pipe}?progress in a browser
  curl -N "${pipe}?progress"                                   # Server-Sent Events
  curl -H 'Accept: application/json' "${pipe}?progress"        # one JSON snapshot

Short form: ${origin}/NAME is the same pipe as ${pipe}.
Names: 1-256 characters of A-Z a-z 0-9 . _ ~ - in segments joined by /.
`;
}

/** `GET /help`, `/version`, `/healthz`, `/metrics`. */
export function metaRoutes(tracker: Tracker, options: { runtime: string }): Hono {
  const app = new Hono();
  app.get("/help", (c) => c.text(helpText(new URL(c.req.url).origin)));
  app.get("/version", (c) => c.text(`ringside ${VERSION} (${options.runtime})\n`));
  app.get("/healthz", (c) => tracker.draining ? c.text("draining\n", 503) : c.text("ok\n"));
  app.get("/metrics", (c) => {
    const stats = tracker.stats();
    const lines = [
      ["ringside_pipes", "gauge", "Pipes known now, retained ones included", stats.pipes],
      ["ringside_transfers_active", "gauge", "Transfers moving bytes now", stats.transfers],
      ["ringside_spectators", "gauge", "SSE spectators connected now", stats.spectators],
      ["ringside_relayed_bytes_total", "counter", "Bytes relayed to receivers", stats.bytesRelayed],
      [
        "ringside_transfers_complete_total",
        "counter",
        "Transfers that delivered every byte",
        stats.transfersComplete,
      ],
      [
        "ringside_transfers_failed_total",
        "counter",
        "Transfers that failed",
        stats.transfersFailed,
      ],
      ["ringside_draining", "gauge", "1 after SIGTERM", tracker.draining ? 1 : 0],
    ].map(([name, type, help, value]) =>
      `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`
    );
    return c.text(lines.join(""), 200, { "content-type": "text/plain; version=0.0.4" });
  });
  return app;
}
