/**
 * A local cluster in one command: Redis, three ringside nodes joined through it, and HAProxy in
 * front with `deploy/haproxy-cluster.cfg` (balanced by a hash of the name), all on loopback.
 * Prints the one URL to use; Ctrl-C (or SIGTERM) stops everything it started.
 *
 *     node_modules/deno/deno task cluster [--port 8080] [--nodes 3] [--runtime bun|deno]
 *
 * Needs Debian's `redis-server` and `haproxy` (`apt-get install redis-server haproxy`).
 */

import { freePort } from "../tests/_proxy.ts";
import { redisArgs } from "../tests/_redis.ts";

const root = new URL("../", import.meta.url).pathname;

function option(name: string, fallback: string): string {
  const index = Deno.args.indexOf(`--${name}`);
  return index >= 0 && Deno.args[index + 1] ? Deno.args[index + 1]! : fallback;
}

async function listening(port: number, what: string, child: Deno.ChildProcess): Promise<void> {
  let exited = false;
  child.status.then(() => exited = true);
  for (let attempt = 0; attempt < 400; attempt++) {
    if (exited) throw new Error(`${what} exited before listening on ${port}`);
    const up = await Deno.connect({ hostname: "127.0.0.1", port }).then(
      (connection) => (connection.close(), true),
      () => false,
    );
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${what} did not listen on ${port}`);
}

const publicPort = Number(option("port", "8080"));
const count = Number(option("nodes", "3"));
const runtime = option("runtime", "bun");
const dir = await Deno.makeTempDir({ prefix: "ringside-cluster-" });
const children: [string, Deno.ChildProcess][] = [];

function start(what: string, command: string, args: string[]): Deno.ChildProcess {
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  children.push([what, child]);
  return child;
}

async function stopAll(): Promise<void> {
  for (const [, child] of children.reverse()) {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
  }
  await Promise.all(children.map(([, child]) => child.status));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

try {
  const redisPort = freePort();
  const redis = start("redis", "redis-server", [
    ...redisArgs(redisPort, dir),
    "--loglevel",
    "warning",
  ]);
  await listening(redisPort, "redis-server", redis);

  const nodePorts: number[] = [];
  for (let i = 1; i <= count; i++) {
    const port = freePort();
    nodePorts.push(port);
    const command = runtime === "deno"
      ? [`${root}node_modules/deno/deno`, "run", "-A", `${root}main.ts`]
      : [`${root}node_modules/.bin/bun`, `${root}main.ts`];
    const node = start(`node${i}`, command[0]!, [
      ...command.slice(1),
      "serve",
      "--port",
      String(port),
      "--redis",
      `redis://127.0.0.1:${redisPort}`,
      "--node",
      `node${i}`,
      "--trust-proxy",
    ]);
    await listening(port, `node${i}`, node);
  }

  let config = await Deno.readTextFile(`${root}deploy/haproxy-cluster.cfg`);
  config = config.replace("bind :80", `bind 127.0.0.1:${publicPort}`)
    .replace(/^\s*server node\d .*\n/gm, "")
    .replace(
      "hash-type consistent\n",
      "hash-type consistent\n" +
        nodePorts.map((port, i) => `    server node${i + 1} 127.0.0.1:${port}\n`).join(""),
    );
  await Deno.writeTextFile(`${dir}/haproxy.cfg`, config);
  const haproxy = start("haproxy", "haproxy", ["-db", "-f", `${dir}/haproxy.cfg`]);
  await listening(publicPort, "haproxy", haproxy);

  console.log(`ringside cluster: ${count} nodes, Redis on ${redisPort}, HAProxy in front`);
  console.log(`use http://127.0.0.1:${publicPort}   (Ctrl-C stops everything)`);
  const stopped = Promise.withResolvers<void>();
  Deno.addSignalListener("SIGINT", () => stopped.resolve());
  Deno.addSignalListener("SIGTERM", () => stopped.resolve());
  const died = Promise.race(
    children.map(([what, child]) => child.status.then(() => console.error(`${what} exited`))),
  );
  await Promise.race([stopped.promise, died]);
} finally {
  await stopAll();
}
