import type { WebhookStats } from "./webhooks.ts";

/**
 * The notice lines of `/metrics` (Prometheus text): deliveries sent, given up and dropped,
 * and held now (of which waiting to retry). Zeros without `--notify`, so that dashboards need no special case.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { notifyMetrics } from "./notify_metrics.ts";
 * const text = notifyMetrics({ sent: 3, failed: 1, dropped: 0, queued: 2, retrying: 1 });
 * assert.match(text, /^ringside_notify_sent_total 3$/m);
 * assert.match(text, /^ringside_notify_queue 2$/m);
 * assert.match(notifyMetrics(undefined), /^ringside_notify_failed_total 0$/m);
 * ```
 */
export function notifyMetrics(stats: WebhookStats | undefined): string {
  const rows: [string, string, string, number][] = [
    [
      "ringside_notify_sent_total",
      "counter",
      "Notices a webhook target accepted (2xx)",
      stats?.sent ?? 0,
    ],
    [
      "ringside_notify_failed_total",
      "counter",
      "Notices given up: retries spent, refused (4xx), or undelivered at shutdown",
      stats?.failed ?? 0,
    ],
    [
      "ringside_notify_dropped_total",
      "counter",
      "Notices dropped because a target's queue was full (--notify-queue)",
      stats?.dropped ?? 0,
    ],
    [
      "ringside_notify_queue",
      "gauge",
      "Notices held now: waiting, in flight, or waiting to retry",
      stats?.queued ?? 0,
    ],
    [
      "ringside_notify_retrying",
      "gauge",
      "Of those, notices waiting for a retry after a failed attempt",
      stats?.retrying ?? 0,
    ],
  ];
  return rows.map(([name, type, help, value]) =>
    `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`
  ).join("");
}
