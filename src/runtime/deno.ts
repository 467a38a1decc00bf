// The runtime adapter for Deno: the one place that touches Deno.*.

import type { Context } from "hono";
import type { WSContext } from "hono/ws";
import type { Runtime, Server } from "./runtime.ts";
import { defaultConfig } from "../config.ts";
import { formatFlagDuration } from "../flag_units.ts";
import { childProcess } from "./child.ts";
import { inForeground } from "./foreground.ts";
import { drain, forward } from "./input.ts";
import { ListenError } from "./listen_error.ts";

/** A day: Deno times the ping and then the close with `setTimeout` (which overflows at ~24.8 days). */
const DENO_IDLE_MAX_MS = 24 * 3_600_000;

function denoHubIdleProblem(ms: number): string | null {
  if (ms > 0 && ms <= DENO_IDLE_MAX_MS) return null;
  return `Invalid --hub-idle '${formatFlagDuration(ms)}': on Deno it must be from 1ms to ` +
    `${formatFlagDuration(DENO_IDLE_MAX_MS)}`;
}
/**
 * Whether an unhandled rejection is Deno's WebSocket read loop failing on a text message longer
 * than the longest string V8 makes (2^29 - 24 units, ~512 MiB). Deno bounds a single frame
 * (64 MiB) but not a message sent in fragments, and the failure happens in its own loop, with
 * nothing of ours on the stack to catch it.
 */
function isDenoWebSocketOverflow(reason: unknown): boolean {
  return reason instanceof TypeError &&
    reason.message.startsWith("failed to allocate string") &&
    (reason.stack ?? "").includes("deno_websocket");
}

/** The runtime on Deno: `Deno.*`. */
export function denoRuntime(): Runtime {
  // hono/deno touches Deno at import: load it only here, not when Bun runs this file.
  const honoDeno = import("hono/deno");
  // Deno takes the idle time per upgrade, not per server: serve() sets it for the upgrades.
  let hubIdleSeconds = defaultConfig().hubIdle / 1000;
  const runtime: Runtime = {
    name: `deno ${Deno.version.deno}`,
    args: Deno.args,
    env: Deno.env.toObject(),
    hubIdleProblem: denoHubIdleProblem,
    serve(fetch, { hostname, port, hubIdle = defaultConfig().hubIdle }) {
      const problem = denoHubIdleProblem(hubIdle);
      if (problem) throw new RangeError(problem);
      hubIdleSeconds = hubIdle / 1000;
      // Left alone, that rejection ends the process: one client could stop the server. The
      // connection is dropped by Deno all the same; the rest goes on.
      globalThis.addEventListener("unhandledrejection", (event) => {
        if (isDenoWebSocketOverflow(event.reason)) event.preventDefault();
      });
      const { promise, resolve } = Promise.withResolvers<Server>();
      let server: Deno.HttpServer;
      try {
        server = Deno.serve({
          hostname,
          port,
          onListen: ({ port }) => resolve({ hostname, port, stop: () => server.shutdown() }),
        }, fetch);
      } catch (error) {
        return Promise.reject(new ListenError(hostname, port, error));
      }
      return promise;
    },
    onSignal: (signal, listener) => Deno.addSignalListener(signal, listener),
    stdinClosed: () => drain(Deno.stdin.readable),
    spawn(command, options = {}) {
      if (options.terminal) throw new TypeError("Deno cannot start a child on a pseudo-terminal");
      const child = new Deno.Command(command, {
        args: options.args ?? [],
        ...(options.env ? { env: options.env, clearEnv: true } : {}),
        ...(options.cwd ? { cwd: options.cwd } : {}),
        ...(options.group ? { detached: true } : {}),
        stdin: options.stdin === "inherit" ? "inherit" : "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      return childProcess({
        pid: child.pid,
        stdout: child.stdout,
        stderr: child.stderr,
        terminal: null,
        status: child.status.then((status) => ({
          code: status.signal ? null : status.code,
          signal: status.signal,
        })),
        kill: (signal) => options.group ? Deno.kill(-child.pid, signal) : child.kill(signal),
      });
    },
    async write(stream, bytes) {
      const file = stream === "stdout" ? Deno.stdout : Deno.stderr;
      for (let offset = 0; offset < bytes.length;) {
        offset += await file.write(bytes.subarray(offset));
      }
    },
    exit: (code) => Deno.exit(code),
    webSocket: {
      // Deno cannot refuse a big frame itself: the hub closes with 1009 when one arrives.
      upgrade: async (c: Context, events) =>
        (await honoDeno).upgradeWebSocket(c, events, { idleTimeout: hubIdleSeconds }),
      bufferedAmount: (ws: WSContext) => (ws.raw as WebSocket).bufferedAmount,
      // No way to drop a Deno WebSocket without its close frame: close it.
      terminate: (ws: WSContext) => (ws.raw as WebSocket).close(1008, "Dropped"),
    },
    isTerminal: (stream) => Deno[stream].isTerminal(),
    canSpawnTerminal: false,
    inForeground() {
      return inForeground(Deno.pid, { readText: Deno.readTextFile, spawn: runtime.spawn });
    },
    terminalSize() {
      if (!Deno.stdout.isTerminal()) return null;
      const { columns, rows } = Deno.consoleSize();
      return { cols: columns, rows };
    },
    forwardInput(onData, onEnd) {
      const raw = Deno.stdin.isTerminal();
      if (raw) Deno.stdin.setRaw(true);
      return forward(Deno.stdin.readable, {
        onData,
        onEnd,
        restore: () => raw && Deno.stdin.setRaw(false),
      });
    },
  };
  return runtime;
}
