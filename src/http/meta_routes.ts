import type { Hub } from "../hub/hub.ts";
import { TOPIC_KINDS, type TopicKind, type Tracker } from "../tracker.ts";
import { VERSION } from "../version.ts";
import { publicOrigin } from "./origin.ts";
import type { RouteHandler } from "./router.ts";
import { notifyMetrics } from "../notify/notify_metrics.ts";
import type { WebhookStats } from "../notify/webhooks.ts";

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

Jobs (any program's progress at a URL; watch them like pipes, without ?progress):
  curl -d '{"progress":0}' ${origin}/api/v1/jobs/ID                       # start
  curl -d '{"progress":40,"message":"chunk 4/10"}' ${origin}/api/v1/jobs/ID/progress
  curl -d '{"ok":true}' ${origin}/api/v1/jobs/ID/finish       # or {"ok":false,"error":"…"}
  curl -N ${origin}/api/v1/jobs/ID                                         # watch

Names: 1-256 characters of A-Z a-z 0-9 . _ ~ - in segments joined by /.
`;
}

/** One metric with a `kind` label per topic kind. */
function labelled(
  name: string,
  type: string,
  help: string,
  values: Record<TopicKind, number>,
): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n` +
    TOPIC_KINDS.map((kind) => `${name}{kind="${kind}"} ${values[kind]}\n`).join("");
}

/** The handlers of `GET /help`, `/version`, `/healthz`, `/metrics`. */
export function metaHandlers(
  tracker: Tracker,
  options: {
    runtime: string;
    trustProxy?: boolean;
    hub?: Hub;
    node?: string;
    notify?: { stats(): WebhookStats } | undefined;
  },
): { help: RouteHandler; version: RouteHandler; healthz: RouteHandler; metrics: RouteHandler } {
  const help: RouteHandler = (c) =>
    c.text(helpText(publicOrigin(c.req.raw, options.trustProxy ?? false)));
  const version: RouteHandler = (c) => c.text(`ringside ${VERSION} (${options.runtime})\n`);
  const healthz: RouteHandler = (c) =>
    tracker.draining ? c.text("draining\n", 503) : c.text("ok\n");
  const metrics: RouteHandler = (c) => {
    const stats = tracker.stats();
    const { clients, subscriptions } = options.hub?.stats() ?? { clients: 0, subscriptions: 0 };
    const hub = { clients, subs: subscriptions };
    const lines = [
      ["ringside_pipes", "gauge", "Pipes known now, retained ones included", stats.pipes],
      ["ringside_transfers_active", "gauge", "Transfers moving bytes now", stats.transfers],
      [
        "ringside_spectators",
        "gauge",
        "Spectators now: SSE streams and WebSocket subscriptions",
        stats.spectators,
      ],
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
      [
        "ringside_topics_waiting",
        "gauge",
        "Pipes only spectators hold (--max-waiting-topics)",
        stats.waiting,
      ],
      ["ringside_jobs_running", "gauge", "Jobs running now", stats.active.job],
      ["ringside_jobs_started_total", "counter", "Job runs started", stats.started.job],
      [
        "ringside_jobs_succeeded_total",
        "counter",
        "Job runs that succeeded",
        stats.ended["job:success"] ?? 0,
      ],
      [
        "ringside_jobs_failed_total",
        "counter",
        "Job runs that failed",
        stats.ended["job:failed"] ?? 0,
      ],
      ...(options.hub
        ? [
          ["ringside_hub_clients", "gauge", "WebSocket hub connections now", hub.clients],
          ["ringside_hub_subscriptions", "gauge", "WebSocket hub subscriptions now", hub.subs],
        ]
        : []),
    ].map(([name, type, help, value]) =>
      `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`
    );
    lines.push(
      `# HELP ringside_processes_running Processes running now\n` +
        `# TYPE ringside_processes_running gauge\nringside_processes_running ${stats.active.process}\n`,
      `# HELP ringside_processes_ended_total Processes ended, by final status\n` +
        `# TYPE ringside_processes_ended_total counter\n` +
        ["exited", "killed", "failed"].map((status) =>
          `ringside_processes_ended_total{status="${status}"} ${
            stats.ended[`process:${status}`] ?? 0
          }\n`
        ).join(""),
    );
    lines.push(labelled("ringside_topics", "gauge", "Topics known now, by kind", stats.topics));
    lines.push(
      labelled("ringside_topics_active", "gauge", "Topics busy now, by kind", stats.active),
    );
    lines.push(
      labelled("ringside_runs_started_total", "counter", "Runs started, by kind", stats.started),
    );
    if (options.node) {
      // Metrics are per node: this line names it (Prometheus label escaping).
      const label = options.node.replace(/[\\"\n]/g, (ch) => ch === "\n" ? "\\n" : `\\${ch}`);
      lines.push(
        `# HELP ringside_node_info This node (--node)\n# TYPE ringside_node_info gauge\n` +
          `ringside_node_info{node="${label}"} 1\n`,
      );
    }
    lines.push(
      `# HELP ringside_runs_ended_total Runs ended, by kind and final state\n` +
        `# TYPE ringside_runs_ended_total counter\n` +
        Object.entries(stats.ended).map(([key, value]) => {
          const [kind, state] = key.split(":");
          return `ringside_runs_ended_total{kind="${kind}",state="${state}"} ${value}\n`;
        }).join(""),
    );
    lines.push(notifyMetrics(options.notify?.stats()));
    return c.text(lines.join(""), 200, { "content-type": "text/plain; version=0.0.4" });
  };
  return { help, version, healthz, metrics };
}
