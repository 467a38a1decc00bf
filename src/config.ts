// What the server is told at start-up, and its defaults. The flags that set it are in flags.ts,
// the parsing in parse_config.ts.

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
