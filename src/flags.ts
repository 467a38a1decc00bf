// The `serve` flags: one table (name, Config key, kind, help) that parsing and `--help` read.

import { type Config, defaultConfig } from "./config.ts";
import { formatFlagDuration, formatFlagSize } from "./flag_units.ts";

export type FlagKind =
  | "string"
  | "integer"
  | "duration"
  | "durations"
  | "size"
  | "boolean"
  | "log-format"
  | "list";

export interface FlagSpec {
  key: keyof Config;
  kind: FlagKind;
  help: string;
}

/** The `serve` flags, in the order `--help` lists them. */
export const FLAGS: Readonly<Record<string, FlagSpec>> = {
  "host": { key: "host", kind: "string", help: "address to listen on" },
  "port": { key: "port", kind: "integer", help: "port to listen on (0 picks a free one)" },
  "max-spectators": {
    key: "maxSpectators",
    kind: "integer",
    help: "spectators per topic (SSE + WebSocket)",
  },
  "spectator-ttl": {
    key: "spectatorTtl",
    kind: "duration",
    help: "one spectator connection's lifetime (EventSource reconnects)",
  },
  "retention": {
    key: "retention",
    kind: "duration",
    help: "final state kept after a topic ends, for latecomers",
  },
  "progress-interval": {
    key: "progressInterval",
    kind: "duration",
    help: "progress event cadence; 0: no coalescing (every job publish; pipes on every timer turn)",
  },
  "heartbeat": { key: "heartbeat", kind: "duration", help: "SSE keepalive comment interval" },
  "stream-timeout": {
    key: "streamTimeout",
    kind: "duration",
    help: "job SSE stream lifetime, then a timeout event",
  },
  "max-receivers": { key: "maxReceivers", kind: "integer", help: "receivers per pipe (?n=)" },
  "history-lines": {
    key: "historyLines",
    kind: "integer",
    help: "process lines kept for latecomers",
  },
  "history-bytes": {
    key: "historyBytes",
    kind: "size",
    help: "bytes of process line text kept for latecomers (1048576, 512KiB, 1MiB, 1MB)",
  },
  "max-event-bytes": {
    key: "maxEventBytes",
    kind: "integer",
    help: "JSON body of a publish, in bytes",
  },
  "wait-timeout": {
    key: "waitTimeout",
    kind: "duration",
    help: "a waiting sender or receiver gives up after this",
  },
  "write-timeout": {
    key: "writeTimeout",
    kind: "duration",
    help: "a spectator that takes no write for this long is dropped",
  },
  "drain-timeout": {
    key: "drainTimeout",
    kind: "duration",
    help: "on SIGTERM, stop accepting and let transfers finish this long",
  },
  "max-topics": {
    key: "maxTopics",
    kind: "integer",
    help: "topics alive at once, retained ones included (then 503)",
  },
  "max-waiting-topics": {
    key: "maxWaitingTopics",
    kind: "integer",
    help: "topics only spectators wait on (no sender yet), apart from --max-topics (then 503)",
  },
  "max-total-spectators": {
    key: "maxTotalSpectators",
    kind: "integer",
    help: "spectators on the whole server (then 503)",
  },
  "log-format": { key: "logFormat", kind: "log-format", help: "text or json" },
  "exit-on-stdin-close": {
    key: "exitOnStdinClose",
    kind: "boolean",
    help: "exit when standard input closes",
  },
  "job-idle": {
    key: "jobIdle",
    kind: "duration",
    help: "a running job with no publish for this long fails",
  },
  "hub-idle": {
    key: "hubIdle",
    kind: "duration",
    help: "close a hub connection that has answered nothing (not even a ping) for this long",
  },
  "token": {
    key: "tokens",
    kind: "list",
    help: "bearer token for sending and publishing (repeatable; env: comma-separated)",
  },
  "read-token": {
    key: "readTokens",
    kind: "list",
    help: "token that only receives and spectates, for shared --private links (repeatable)",
  },
  "jwt-secret": { key: "jwtSecret", kind: "string", help: "accept HS256 JWTs signed with this" },
  "private": { key: "private", kind: "boolean", help: "receiving and spectating need a token" },
  "secret": { key: "secret", kind: "string", help: "secret behind watch links (random if empty)" },
  "task": {
    key: "tasks",
    kind: "list",
    help: 'named task NAME="command args" runnable over HTTP (repeatable)',
  },
  "task-env": {
    key: "taskEnv",
    kind: "list",
    help: "environment variable a named task inherits besides PATH (repeatable)",
  },
  "trust-proxy": {
    key: "trustProxy",
    kind: "boolean",
    help: "take client address and scheme from X-Forwarded-*",
  },
  "redis": { key: "redis", kind: "string", help: "redis://HOST:PORT joining several nodes" },
  "node": { key: "node", kind: "string", help: "this node's name with several nodes" },
  "notify": {
    key: "notify",
    kind: "list",
    help: "webhook URL POSTed on every topic's end (repeatable; env: comma-separated)",
  },
  "notify-secret": {
    key: "notifySecret",
    kind: "string",
    help: "sign notices: X-Ringside-Signature: sha256=HMAC(secret, body)",
  },
  "notify-on": {
    key: "notifyOn",
    kind: "list",
    help: "notify only these kind:name ends (repeatable; job:ci covers ci/7; pipe:backup-*)",
  },
  "notify-retry": {
    key: "notifyRetry",
    kind: "durations",
    help: "waits before each retry of a notice (comma-separated)",
  },
  "notify-timeout": {
    key: "notifyTimeout",
    kind: "duration",
    help: "one notice attempt gives up after this",
  },
  "notify-queue": {
    key: "notifyQueue",
    kind: "integer",
    help: "notices waiting per target; past it they are dropped and counted",
  },
  "public-url": {
    key: "publicUrl",
    kind: "string",
    help: "this server's public origin for URLs in notices (default http://HOST:PORT)",
  },
};

/** The environment variable that sets `--flag`: `RINGSIDE_FLAG`. */
export function envName(flag: string): string {
  return `RINGSIDE_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/** The flag list for `--help`, with defaults and environment names. */
export function flagHelp(): string {
  const defaults = defaultConfig() as unknown as Record<string, unknown>;
  return Object.entries(FLAGS).map(([flag, spec]) => {
    const value = defaults[spec.key];
    const shown = spec.kind === "duration"
      ? formatFlagDuration(value as number)
      : spec.kind === "size"
      ? formatFlagSize(value as number)
      : spec.kind === "durations"
      ? (value as number[]).map(formatFlagDuration).join(",")
      : Array.isArray(value)
      ? "none"
      : value === ""
      ? "none"
      : String(value);
    return `  --${flag.padEnd(22)} ${spec.help} [${shown}] (${envName(flag)})`;
  }).join("\n");
}
