import { createApp } from "./src/app.ts";
import { type Config, startupWarnings } from "./src/config.ts";
import { formatFlagDuration } from "./src/flag_units.ts";
import { flagHelp } from "./src/flags.ts";
import { parseConfig } from "./src/parse_config.ts";
import {
  dashboardPage,
  frontPage,
  jobDashboardPage,
  processDashboardPage,
} from "./src/dashboard/pages.ts";
import { createLog } from "./src/log.ts";
import { parseTasks } from "./src/process/task.ts";
import { currentRuntime } from "./src/runtime/current.ts";
import { ListenError } from "./src/runtime/listen_error.ts";
import type { Runtime, Server } from "./src/runtime/runtime.ts";
import { VERSION } from "./src/version.ts";

const USAGE = `ringside ${VERSION}: give every long-running thing a URL anyone can watch.

Usage:
  ringside serve [flags]     serve HTTP pipes and their live progress (the default)
  ringside watch URL         follow a pipe, job, process or watch link in the terminal
                             (ringside watch --help)
  ringside run [--server URL] [--id ID] [--token T] [--no-tty] -- CMD ARGS...
                             run CMD, streaming its output live to a server
  ringside --help            this text
  ringside --version         the version

Flags of serve (each also read from the environment variable in parentheses):
${flagHelp()}

Durations: 250ms, 30s, 10m, 1h. After start: GET /help shows curl usage.
`;

async function serve(runtime: Runtime, config: Config): Promise<void> {
  const log = createLog(config.logFormat);
  const node = config.node || `node-${crypto.randomUUID().slice(0, 8)}`;
  // Loaded only with --redis: the Redis client alone is ~20 MB of resident memory on Bun, which a
  // single node never uses (docs/performance.md, "The relay regression").
  const bridge = config.redis
    ? await (await import("./src/cluster/bridge.ts")).Bridge.connect({
      url: config.redis,
      node,
      retention: config.retention,
      historyLines: config.historyLines,
      historyBytes: config.historyBytes,
      log,
    })
    : null;
  // Watch links work on every node when all share one secret: --secret, else Redis's.
  const secret = config.secret || (await bridge?.sharedSecret()) || "";
  const { app, tracker, hub, watchLinks, notifier } = createApp({
    ...config,
    secret,
    node: bridge ? node : config.node,
  }, {
    log,
    runtime: runtime.name,
    webSocket: runtime.webSocket,
    remote: bridge ?? undefined,
    dashboard: dashboardPage,
    jobPage: (snapshot, urls) => jobDashboardPage({ snapshot, ...urls }),
    processPage: (snapshot, urls) => processDashboardPage({ snapshot, ...urls }),
    frontPage,
    ...(bridge ? { watchRemote: bridge } : {}),
    spawn: runtime.spawn,
    env: runtime.env,
  });
  if (bridge) {
    tracker.addEventListener("run", ({ entry, waitUntil }) => {
      waitUntil(watchLinks.id(entry.kind, entry.name).then((id) => bridge.share(entry.topic, id)));
    });
    // An idle pipe that is forgotten never ends: nothing else would stop its sharing.
    tracker.addEventListener("entry", ({ entry, present }) => {
      if (!present) bridge.unshare(entry.topic);
    });
  }
  let server: Server;
  try {
    server = await runtime.serve((request, env) => app.fetch(request, env), {
      hostname: config.host,
      port: config.port,
      hubIdle: config.hubIdle,
    });
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    console.error(`ringside: ${error.message}`);
    runtime.exit(1);
  }
  const origin = `http://${
    server.hostname.includes(":") ? `[${server.hostname}]` : server.hostname
  }:${server.port}`;
  notifier?.listening(origin);

  let stopping = false;
  async function stop(signal: string): Promise<void> {
    if (stopping) {
      log("exiting now", { signal });
      runtime.exit(1);
    }
    stopping = true;
    const deadline = Date.now() + config.drainTimeout;
    const running = tracker.stats().transfers;
    log("draining", {
      signal,
      transfers: running,
      drainTimeout: formatFlagDuration(config.drainTimeout),
    });
    const timedOut = await Promise.race([
      tracker.drain().then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), config.drainTimeout)),
    ]);
    log(timedOut ? "drain timed out" : "drained", { transfers: tracker.stats().transfers });
    // Spectators would hold a graceful stop open; once they are gone, let the runtime finish
    // writing the last responses (a receiver's final bytes) before the process exits.
    tracker.close();
    hub.close();
    if (notifier) {
      // Notices share the drain window (those of the runs just aborted too: a second at least).
      const held = notifier.stats().queued;
      await notifier.drain(Math.max(deadline - Date.now(), Math.min(config.drainTimeout, 1000)));
      const { sent, failed, dropped } = notifier.stats();
      log("notices drained", { held, sent, failed, dropped });
    }
    await bridge?.close();
    await Promise.race([
      server.stop(),
      new Promise((resolve) => setTimeout(resolve, timedOut ? 0 : config.drainTimeout)),
    ]);
    runtime.exit(0);
  }
  runtime.onSignal("SIGTERM", () => stop("SIGTERM"));
  runtime.onSignal("SIGINT", () => stop("SIGINT"));
  // "listening on" says ready: the signal handlers are armed first (Bun arms them on the next
  // turn of its loop), so a Ctrl-C right after the line drains instead of killing the server.
  await new Promise((resolve) => setTimeout(resolve, 0));
  console.log(`listening on ${origin}`);
  for (const warning of startupWarnings(config)) console.error(`ringside: ${warning}`);
  log("started", {
    runtime: runtime.name,
    version: VERSION,
    origin,
    ...(bridge ? { node, redis: bridge.connected ? "connected" : "unreachable" } : {}),
  });
  if (config.exitOnStdinClose) {
    runtime.stdinClosed().then(() => runtime.exit(0));
  }
}

async function main(): Promise<void> {
  const runtime: Runtime = currentRuntime();
  const [command, ...rest] = runtime.args;
  if (command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return;
  }
  if (command === "--version" || command === "-V" || command === "version") {
    console.log(`ringside ${VERSION} (${runtime.name})`);
    return;
  }
  // The commands load what only they use: a server never needs the clients' code in memory.
  if (command === "watch") {
    const { watch } = await import("./src/cli/watch.ts");
    runtime.exit(await watch(runtime, rest));
  }
  if (command === "run") {
    const { parseRunArgs, RUN_USAGE, runCommand, UsageError } = await import("./src/cli/run.ts");
    if (rest[0] === "--help" || rest[0] === "-h") {
      console.log(RUN_USAGE);
      return;
    }
    let options;
    try {
      options = parseRunArgs(rest, runtime.env);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      console.error(`ringside run: ${error.message}. See 'ringside run --help'.`);
      runtime.exit(2);
    }
    runtime.exit(await runCommand(runtime, options));
  }
  const args = command === "serve" ? rest : command === undefined ? [] : runtime.args;
  if (args.includes("--help") || args.includes("-h")) {
    console.log(USAGE);
    return;
  }
  let config: Config;
  try {
    config = parseConfig(args, runtime.env);
    parseTasks(config.tasks);
    const hubIdle = runtime.hubIdleProblem(config.hubIdle);
    if (hubIdle) throw new RangeError(hubIdle);
  } catch (error) {
    console.error(`ringside: ${(error as Error).message}. See 'ringside --help'.`);
    runtime.exit(2);
  }
  await serve(runtime, config);
}

await main();
