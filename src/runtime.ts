// The one place that touches Deno.* and Bun.*: serving, WebSockets, signals, standard input, exit.

import type { Context } from "hono";
import type { WSContext } from "hono/ws";
import type { WebSocketSupport } from "./http/hub_routes.ts";
import { MAX_FRAME_BYTES } from "./hub/hub_client.ts";

/** Seconds without hearing from a WebSocket client: a ping at half of it, closed at all of it. */
const WEBSOCKET_IDLE_SECONDS = 60;

/** A listening server. */
export interface Server {
  readonly hostname: string;
  readonly port: number;
  /** Stops listening and resolves when the running requests have finished. */
  stop(): Promise<void>;
}

/** What the rest of ringside needs from the runtime it runs on. */
export interface Runtime {
  /** `bun 1.4.5` or `deno 2.8.2`. */
  readonly name: string;
  /** Command-line arguments after the program. */
  readonly args: string[];
  readonly env: Record<string, string | undefined>;
  /**
   * Serves `fetch` on `hostname:port` (port 0: a free one) with no body size or idle limit.
   * `env` is what Hono's WebSocket helper needs from the runtime (pass it to `app.fetch`).
   */
  serve(
    fetch: (request: Request, env?: unknown) => Response | Promise<Response>,
    options: { hostname: string; port: number },
  ): Promise<Server>;
  onSignal(signal: "SIGTERM" | "SIGINT", listener: () => void): void;
  /** Resolves when standard input reaches its end. */
  stdinClosed(): Promise<void>;
  exit(code: number): never;
  /** WebSocket upgrades for the hub, through Hono's helper for this runtime. */
  readonly webSocket: WebSocketSupport;
}

interface BunServer {
  hostname: string;
  port: number;
  stop(closeActive?: boolean): Promise<void>;
}

interface BunGlobal {
  version: string;
  argv: string[];
  env: Record<string, string | undefined>;
  stdin: { stream(): ReadableStream<Uint8Array> };
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request, server: BunServer) => Response | Promise<Response>;
    websocket: typeof import("hono/bun").websocket & {
      maxPayloadLength: number;
      idleTimeout: number;
      sendPings: boolean;
    };
    maxRequestBodySize: number;
    idleTimeout: number;
    development: boolean;
  }): BunServer;
}

interface NodeProcess {
  on(signal: string, listener: () => void): void;
  exit(code: number): never;
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}

function bunSocket(ws: WSContext): { getBufferedAmount(): number; terminate(): void } {
  return ws.raw as { getBufferedAmount(): number; terminate(): void };
}

function bunRuntime(bun: BunGlobal, process: NodeProcess): Runtime {
  // hono/bun touches Bun at import: load it only here, not when Deno runs this file.
  const honoBun = import("hono/bun");
  return {
    name: `bun ${bun.version}`,
    args: bun.argv.slice(2),
    env: bun.env,
    async serve(fetch, { hostname, port }) {
      const { websocket } = await honoBun;
      const server = bun.serve({
        hostname,
        port,
        fetch,
        websocket: {
          ...websocket,
          // Bun closes a connection that sends a bigger frame with 1009 before we see it.
          maxPayloadLength: MAX_FRAME_BYTES,
          idleTimeout: WEBSOCKET_IDLE_SECONDS,
          sendPings: true,
        },
        // A pipe is unlimited (Bun's default is 128 MiB) and SSE or a waiting side may stay
        // quiet for minutes (Bun's default idle timeout is 10 s).
        maxRequestBodySize: Number.MAX_SAFE_INTEGER,
        idleTimeout: 0,
        development: false,
      });
      return {
        hostname: server.hostname,
        port: server.port,
        stop: () => server.stop(false),
      };
    },
    onSignal: (signal, listener) => process.on(signal, listener),
    stdinClosed: () => drain(bun.stdin.stream()),
    exit: (code) => process.exit(code),
    webSocket: {
      upgrade: async (c: Context, events) => (await honoBun).upgradeWebSocket(c, events),
      bufferedAmount: (ws: WSContext) => bunSocket(ws).getBufferedAmount(),
      terminate: (ws: WSContext) => bunSocket(ws).terminate(),
    },
  };
}

function denoRuntime(): Runtime {
  // hono/deno touches Deno at import: load it only here, not when Bun runs this file.
  const honoDeno = import("hono/deno");
  return {
    name: `deno ${Deno.version.deno}`,
    args: Deno.args,
    env: Deno.env.toObject(),
    serve(fetch, { hostname, port }) {
      const { promise, resolve } = Promise.withResolvers<Server>();
      const server = Deno.serve({
        hostname,
        port,
        onListen: ({ port }) => resolve({ hostname, port, stop: () => server.shutdown() }),
      }, fetch);
      return promise;
    },
    onSignal: (signal, listener) => Deno.addSignalListener(signal, listener),
    stdinClosed: () => drain(Deno.stdin.readable),
    exit: (code) => Deno.exit(code),
    webSocket: {
      // Deno cannot refuse a big frame itself: the hub closes with 1009 when one arrives.
      upgrade: async (c: Context, events) =>
        (await honoDeno).upgradeWebSocket(c, events, { idleTimeout: WEBSOCKET_IDLE_SECONDS }),
      bufferedAmount: (ws: WSContext) => (ws.raw as WebSocket).bufferedAmount,
      // No way to drop a Deno WebSocket without its close frame: close it.
      terminate: (ws: WSContext) => (ws.raw as WebSocket).close(1008, "Dropped"),
    },
  };
}

/** The runtime this process runs on. */
export function currentRuntime(): Runtime {
  const global = globalThis as unknown as { Bun?: BunGlobal; process?: NodeProcess };
  if (global.Bun && global.process) return bunRuntime(global.Bun, global.process);
  return denoRuntime();
}
