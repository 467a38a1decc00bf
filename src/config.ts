import { parseNotifyFilter } from "./notify/notify_filter.ts";

/** Everything the server can be told at start-up. Durations are in milliseconds. */
export interface Config {
  host: string;
  port: number;
  maxSpectators: number;
  spectatorTtl: number;
  retention: number;
  progressInterval: number;
  heartbeat: number;
  streamTimeout: number;
  maxReceivers: number;
  historyLines: number;
  /** Bytes of process line text kept for latecomers. */
  historyBytes: number;
  maxEventBytes: number;
  waitTimeout: number;
  writeTimeout: number;
  drainTimeout: number;
  maxTopics: number;
  /** Topics only spectators hold (an idle pipe watched before anyone sends), apart. */
  maxWaitingTopics: number;
  maxTotalSpectators: number;
  logFormat: "text" | "json";
  /** Exit when standard input closes (test harnesses and supervisors that own our stdin). */
  exitOnStdinClose: boolean;
  /** A running job with no publish for this long fails. */
  jobIdle: number;
  /** A hub connection that has answered nothing, not even a ping, for this long is closed. */
  hubIdle: number;
  /** Bearer tokens accepted for sending and publishing (and watching with `private`). */
  tokens: string[];
  /** Bearer tokens that receive and spectate only (with `private`), never send or publish. */
  readTokens: string[];
  /** HS256 secret for JWTs accepted as tokens; empty: none. */
  jwtSecret: string;
  /** Receiving and spectating need a token too (watch links excepted). */
  private: boolean;
  /** The secret behind watch links; empty: a random one per start (or shared through Redis). */
  secret: string;
  /** Named tasks, `NAME=command args`, each runnable by `POST /api/v1/processes?task=NAME`. */
  tasks: string[];
  /** Environment variables a named task inherits besides `PATH`. */
  taskEnv: string[];
  /** Take the client address and scheme from `X-Forwarded-*`. */
  trustProxy: boolean;
  /** `redis://HOST:PORT` joining several nodes; empty: one node. */
  redis: string;
  /** This node's name in metrics and stats with several nodes. */
  node: string;
  /** Webhook URLs POSTed a notice on every topic's end (the operator's only). */
  notify: string[];
  /** HMAC-SHA256 key signing notices (`X-Ringside-Signature`); empty: unsigned. */
  notifySecret: string;
  /** `kind:name` filters (the scope rule); empty: every end is notified. */
  notifyOn: string[];
  /** Waits before each retry of a notice, in ms; its length is the number of retries. */
  notifyRetry: number[];
  /** One notice attempt gives up after this. */
  notifyTimeout: number;
  /** Notices waiting per target (in flight and retrying included); past it, dropped. */
  notifyQueue: number;
  /** This server's public origin for the URLs in notices; empty: `http://HOST:PORT`. */
  publicUrl: string;
}

type FlagKind =
  | "string"
  | "integer"
  | "duration"
  | "durations"
  | "size"
  | "boolean"
  | "log-format"
  | "list";

interface FlagSpec {
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

/**
 * The defaults from the design.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig } from "./config.ts";
 * assert.equal(defaultConfig().port, 8080);
 * ```
 */
export function defaultConfig(): Config {
  return {
    host: "127.0.0.1",
    port: 8080,
    maxSpectators: 50,
    spectatorTtl: 30 * 60_000,
    retention: 10 * 60_000,
    progressInterval: 250,
    heartbeat: 15_000,
    streamTimeout: 10 * 60_000,
    maxReceivers: 16,
    historyLines: 1000,
    historyBytes: 1024 * 1024,
    maxEventBytes: 64 * 1024,
    waitTimeout: 10 * 60_000,
    writeTimeout: 30_000,
    drainTimeout: 30_000,
    maxTopics: 10_000,
    maxWaitingTopics: 10_000,
    maxTotalSpectators: 10_000,
    logFormat: "text",
    exitOnStdinClose: false,
    jobIdle: 60 * 60_000,
    hubIdle: 60_000,
    tokens: [],
    readTokens: [],
    jwtSecret: "",
    private: false,
    secret: "",
    tasks: [],
    taskEnv: [],
    trustProxy: false,
    redis: "",
    node: "",
    notify: [],
    notifySecret: "",
    notifyOn: [],
    notifyRetry: [1000, 5000, 30_000, 120_000, 600_000],
    notifyTimeout: 10_000,
    notifyQueue: 1000,
    publicUrl: "",
  };
}

/** The longest delay `setTimeout` keeps (2^31-1 ms, 24.8 days, 596 h and a bit). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses `250ms`, `30s`, `10m`, `1h` (or a bare number of milliseconds) into milliseconds.
 *
 * @throws {TypeError} on anything else.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "./config.ts";
 * assert.equal(parseDuration("1.5s"), 1500);
 * assert.equal(parseDuration("10m"), 600_000);
 * ```
 */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new TypeError(`Invalid duration '${text}' (use 250ms, 30s, 10m, 1h)`);
  return Math.round(Number(match[1]) * UNITS[match[2] ?? "ms"]!);
}

/**
 * Formats milliseconds in the flags' duration syntax (`250ms`, `30s`, `10m`, `1h`), the way
 * an operator writes them; {@linkcode parseDuration} reads it back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFlagDuration } from "./config.ts";
 * assert.equal(formatFlagDuration(600_000), "10m");
 * assert.equal(formatFlagDuration(250), "250ms");
 * ```
 */
export function formatFlagDuration(ms: number): string {
  for (const unit of ["h", "m", "s"] as const) {
    if (ms >= UNITS[unit]! && ms % UNITS[unit]! === 0) return `${ms / UNITS[unit]!}${unit}`;
  }
  return `${ms}ms`;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kb: 1000,
  kib: 1024,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/**
 * Parses a size in bytes: a whole number of bytes, or a number with a unit, binary (`KiB`,
 * `MiB`, `GiB`) or decimal (`kB`, `MB`, `GB`), in any case (`1mib`); a fraction is rounded down
 * to a whole byte (`1.5KiB` is 1536).
 *
 * @throws {TypeError} on anything else.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSize } from "./config.ts";
 * assert.equal(parseSize("1048576"), 1_048_576);
 * assert.equal(parseSize("512KiB"), 524_288);
 * assert.equal(parseSize("1MB"), 1_000_000);
 * assert.throws(() => parseSize("1 potato"), /Invalid size/);
 * ```
 */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined || (match[2] === "" && match[1]!.includes("."))) {
    throw new TypeError(`Invalid size '${text}' (use 1048576, 512KiB, 1MiB, 1MB)`);
  }
  const bytes = Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`Invalid size '${text}' (too large)`);
  return bytes;
}

/**
 * Formats bytes the way an operator writes a size flag: in the largest binary unit that holds
 * it whole (`1MiB`, `512KiB`), else in bytes; {@linkcode parseSize} reads it back.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFlagSize } from "./config.ts";
 * assert.equal(formatFlagSize(1_048_576), "1MiB");
 * assert.equal(formatFlagSize(1000), "1000");
 * ```
 */
export function formatFlagSize(bytes: number): string {
  for (const unit of ["GiB", "MiB", "KiB"]) {
    const size = SIZE_UNITS[unit.toLowerCase()]!;
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

function parseValue(flag: string, spec: FlagSpec, value: string): Config[keyof Config] {
  switch (spec.kind) {
    case "string":
      return value;
    case "boolean":
      if (value === "true" || value === "1" || value === "") return true;
      if (value === "false" || value === "0") return false;
      throw new TypeError(`Invalid value '${value}' for --${flag} (use true or false)`);
    case "integer": {
      if (!/^\d+$/.test(value)) {
        throw new TypeError(`Invalid value '${value}' for --${flag} (a whole number)`);
      }
      return Number(value);
    }
    case "duration":
      return flagDuration(flag, value);
    case "durations":
      return value.split(",").map((item) => item.trim()).filter((item) => item !== "")
        .map((item) => flagDuration(flag, item));
    case "size":
      try {
        return parseSize(value);
      } catch {
        throw new TypeError(`Invalid value '${value}' for --${flag} (use 1048576, 512KiB, 1MiB)`);
      }
    case "log-format":
      if (value === "text" || value === "json") return value;
      throw new TypeError(`Invalid value '${value}' for --${flag} (use text or json)`);
    case "list":
      return [value];
  }
}

function flagDuration(flag: string, value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    throw new TypeError(`Invalid value '${value}' for --${flag} (use 250ms, 30s, 10m, 1h)`);
  }
  // Runtimes fire a longer timer at once (a 32-bit delay): 1000h would mean "now".
  if (ms > MAX_TIMER_MS) {
    throw new RangeError(`Invalid value '${value}' for --${flag} (at most 596h)`);
  }
  return ms;
}

function envName(flag: string): string {
  return `RINGSIDE_${flag.toUpperCase().replaceAll("-", "_")}`;
}

/**
 * Builds the config from `RINGSIDE_*` environment variables, then `serve` flags on top.
 * Flags take `--flag value` or `--flag=value`; boolean flags stand alone.
 *
 * @throws {TypeError} for an unknown flag, a missing or bad value; {RangeError} for a duration
 * longer than a timer holds (596h).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./config.ts";
 * const config = parseConfig(["--port=0", "--retention", "30s"], { RINGSIDE_MAX_SPECTATORS: "3" });
 * assert.deepEqual([config.port, config.retention, config.maxSpectators], [0, 30_000, 3]);
 * const tokens = parseConfig(["--token", "a", "--token=b"], { RINGSIDE_TOKEN: "x,y" }).tokens;
 * assert.deepEqual(tokens, ["a", "b"]);
 * assert.deepEqual(parseConfig([], { RINGSIDE_TOKEN: "x, y" }).tokens, ["x", "y"]);
 * assert.equal(parseConfig(["--hub-idle", "8s"], { RINGSIDE_HUB_IDLE: "12s" }).hubIdle, 8000);
 * assert.throws(() => parseConfig(["--private"], {}), /needs --token/);
 * ```
 *
 * @example Notices
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./config.ts";
 * const env = { RINGSIDE_NOTIFY: "http://a.test/hook, https://b.test/hook" };
 * assert.deepEqual(parseConfig([], env).notify, ["http://a.test/hook", "https://b.test/hook"]);
 * const config = parseConfig(["--notify-retry", "50ms,1s", "--public-url", "https://w.test/"], {});
 * assert.deepEqual([config.notifyRetry, config.publicUrl], [[50, 1000], "https://w.test"]);
 * assert.deepEqual(parseConfig([], {}).notifyRetry, [1000, 5000, 30_000, 120_000, 600_000]);
 * assert.throws(() => parseConfig(["--notify", "file:///etc/passwd"], {}), /http:\/\/ or https:/);
 * assert.throws(() => parseConfig(["--notify-on", "ci"], {}), /Invalid --notify-on 'ci'/);
 * ```
 */
export function parseConfig(args: string[], env: Record<string, string | undefined>): Config {
  const config = defaultConfig();
  const record = config as unknown as Record<string, unknown>;
  for (const [flag, spec] of Object.entries(FLAGS)) {
    const value = env[envName(flag)];
    if (value === undefined) continue;
    record[spec.key] = spec.kind === "list"
      ? value.split(",").map((item) => item.trim()).filter((item) => item !== "")
      : parseValue(flag, spec, value);
  }
  const fromFlags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    const spec = match ? FLAGS[match[1]!] : undefined;
    if (!match || !spec) throw new TypeError(`Unknown option '${arg}'`);
    let value = match[2];
    if (value === undefined && spec.kind === "boolean") value = "true";
    if (value === undefined) {
      value = args[++i];
      if (value === undefined) throw new TypeError(`Missing value for --${match[1]}`);
    }
    if (spec.kind === "list") {
      // Repeatable: the first one on the command line replaces the environment's list.
      const list = fromFlags.has(spec.key) ? record[spec.key] as string[] : [];
      record[spec.key] = [...list, value];
      fromFlags.add(spec.key);
    } else {
      record[spec.key] = parseValue(match[1]!, spec, value);
    }
  }
  if (config.port > 65535) throw new RangeError(`Invalid port ${config.port}`);
  if (config.tokens.some((token) => token.trim() === "")) throw new TypeError("Empty --token");
  if (config.readTokens.some((token) => token.trim() === "")) {
    throw new TypeError("Empty --read-token");
  }
  if (
    config.private && config.tokens.length === 0 && config.readTokens.length === 0 &&
    config.jwtSecret === ""
  ) {
    throw new TypeError(
      "--private needs --token, --read-token or --jwt-secret (nobody could watch)",
    );
  }
  for (const url of config.notify) httpUrl("notify", url);
  if (config.publicUrl !== "") config.publicUrl = httpUrl("public-url", config.publicUrl);
  parseNotifyFilter(config.notifyOn);
  return config;
}

/** `value` as an http(s) URL without a trailing slash. @throws {TypeError} otherwise. */
function httpUrl(flag: string, value: string): string {
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TypeError(`Invalid value '${value}' for --${flag} (an http:// or https:// URL)`);
  }
  return value.replace(/\/+$/, "");
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

/** Host names and addresses that only this machine reaches. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

/**
 * What an operator should hear at start-up about a configuration that works but exposes more
 * than they may think: named tasks that anybody on the network can start (no `--token`, a host
 * other than loopback).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfig, startupWarnings } from "./config.ts";
 * const open = { ...defaultConfig(), host: "0.0.0.0", tasks: ["deploy=./deploy.sh"] };
 * assert.match(startupWarnings(open)[0]!, /anyone who can reach 0\.0\.0\.0/);
 * assert.deepEqual(startupWarnings({ ...open, tokens: ["t"] }), []);
 * assert.deepEqual(startupWarnings({ ...open, host: "127.0.0.1" }), []);
 * ```
 */
export function startupWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const guarded = config.tokens.length > 0 || config.jwtSecret !== "";
  if (config.tasks.length > 0 && !guarded && !LOOPBACK.test(config.host)) {
    warnings.push(
      `warning: --task without --token on ${config.host}: anyone who can reach ` +
        `${config.host} can start ${config.tasks.length === 1 ? "the task" : "the tasks"}`,
    );
  }
  return warnings;
}
