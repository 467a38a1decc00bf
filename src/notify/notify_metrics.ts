import type { WebhookStats } from "./webhooks.ts";

/**
 * The `/metrics` line of each {@linkcode WebhookStats} field: its name after `ringside_notify_`
 * (a `_total` is a counter, the others are gauges) and its help.
 */
const METRICS: Readonly<Record<keyof WebhookStats, readonly [suffix: string, help: string]>> = {
  sent: ["sent_total", "Notices a webhook target accepted (2xx)"],
  failed: [
    "failed_total",
    "Notices given up: retries spent, refused (4xx), or undelivered at shutdown",
  ],
  dropped: ["dropped_total", "Notices dropped because a target's queue was full (--notify-queue)"],
  queued: ["queue", "Notices held now: waiting, in flight, or waiting to retry"],
  retrying: ["retrying", "Of those, notices waiting for a retry after a failed attempt"],
};

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
  return Object.entries(METRICS).map(([field, [suffix, help]]) => {
    const name = `ringside_notify_${suffix}`;
    const type = suffix.endsWith("_total") ? "counter" : "gauge";
    const value = stats?.[field as keyof WebhookStats] ?? 0;
    return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`;
  }).join("");
}
