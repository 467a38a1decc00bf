/**
 * Starts Debian's redis-server for a test: on a free loopback port, no persistence, its own
 * temporary folder; stopped (or killed, for fault tests) by the test, and by `await using`.
 */

import { freePort } from "./_proxy.ts";

/** A running Redis. */
export interface TestRedis extends AsyncDisposable {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Stops it (SIGKILL: a crash, for fault tests). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  /** Freezes it (SIGSTOP): commands wait unanswered until {@linkcode TestRedis.resume}. */
  pause(): void;
  /** Lets a paused Redis answer again (SIGCONT). */
  resume(): void;
}

/**
 * `redis-server`'s flags for a throwaway Redis: on loopback port `port`, nothing persisted, its
 * working folder `dir` (`scripts/cluster.ts` starts its Redis with them too).
 */
export function redisArgs(port: number, dir: string): string[] {
  return [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
  ];
}

async function launch(port: number, dir: string) {
  const child = new Deno.Command("/usr/bin/redis-server", {
    args: redisArgs(port, dir),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let attempt = 0;; attempt++) {
    const up = await Deno.connect({ hostname: "127.0.0.1", port }).then(
      (connection) => (connection.close(), true),
      () => false,
    );
    if (up) return child;
    if (attempt > 200) throw new Error("redis-server did not start");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Starts redis-server on a free port. */
export async function startRedis(): Promise<TestRedis> {
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "ringside-redis-" });
  let child: Deno.ChildProcess | null = await launch(port, dir);
  async function stop() {
    if (!child) return;
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
    await child.status;
    child = null;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    pause: () => child?.kill("SIGSTOP"),
    resume: () => child?.kill("SIGCONT"),
    restart: async () => {
      await stop();
      child = await launch(port, dir);
    },
    [Symbol.asyncDispose]: async () => {
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
