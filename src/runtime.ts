// The one place that touches Deno.* and Bun.*: serving, signals, standard input, exit.

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
  /** Serves `fetch` on `hostname:port` (port 0: a free one) with no body size or idle limit. */
  serve(
    fetch: (request: Request) => Response | Promise<Response>,
    options: { hostname: string; port: number },
  ): Promise<Server>;
  onSignal(signal: "SIGTERM" | "SIGINT", listener: () => void): void;
  /** Resolves when standard input reaches its end. */
  stdinClosed(): Promise<void>;
  /** Writes bytes, unchanged and whole, to this process's standard output or error. */
  write(stream: "stdout" | "stderr", bytes: Uint8Array): Promise<void>;
  exit(code: number): never;
  /** Whether standard output or standard error is a terminal (not a pipe or a file). */
  isTerminal(stream: "stdout" | "stderr"): boolean;
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
  stdout: unknown;
  stderr: unknown;
  write(destination: unknown, bytes: Uint8Array): Promise<number>;
  serve(options: {
    hostname: string;
    port: number;
    fetch: (request: Request) => Response | Promise<Response>;
    maxRequestBodySize: number;
    idleTimeout: number;
    development: boolean;
  }): BunServer;
}

interface NodeWritable {
  isTTY?: boolean;
}

interface NodeProcess {
  on(signal: string, listener: () => void): void;
  exit(code: number): never;
  stdout: NodeWritable;
  stderr: NodeWritable;
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  for await (const _ of stream) {
    // discard
  }
}

function bunRuntime(bun: BunGlobal, process: NodeProcess): Runtime {
  return {
    name: `bun ${bun.version}`,
    args: bun.argv.slice(2),
    env: bun.env,
    serve(fetch, { hostname, port }) {
      const server = bun.serve({
        hostname,
        port,
        fetch,
        // A pipe is unlimited (Bun's default is 128 MiB) and SSE or a waiting side may stay
        // quiet for minutes (Bun's default idle timeout is 10 s).
        maxRequestBodySize: Number.MAX_SAFE_INTEGER,
        idleTimeout: 0,
        development: false,
      });
      return Promise.resolve({
        hostname: server.hostname,
        port: server.port,
        stop: () => server.stop(false),
      });
    },
    onSignal: (signal, listener) => process.on(signal, listener),
    stdinClosed: () => drain(bun.stdin.stream()),
    async write(stream, bytes) {
      await bun.write(stream === "stdout" ? bun.stdout : bun.stderr, bytes);
    },
    exit: (code) => process.exit(code),
    isTerminal: (stream) => process[stream].isTTY === true,
  };
}

function denoRuntime(): Runtime {
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
    async write(stream, bytes) {
      const file = stream === "stdout" ? Deno.stdout : Deno.stderr;
      for (let offset = 0; offset < bytes.length;) {
        offset += await file.write(bytes.subarray(offset));
      }
    },
    exit: (code) => Deno.exit(code),
    isTerminal: (stream) => Deno[stream].isTerminal(),
  };
}

/** The runtime this process runs on. */
export function currentRuntime(): Runtime {
  const global = globalThis as unknown as { Bun?: BunGlobal; process?: NodeProcess };
  if (global.Bun && global.process) return bunRuntime(global.Bun, global.process);
  return denoRuntime();
}
