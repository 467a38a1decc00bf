/**
 * Starts Debian's nginx or HAProxy in front of a test server, from the configurations ringside
 * ships in `deploy/`, rewritten only where the test must: the public port (a free one on
 * 127.0.0.1) and the upstream's port. The proxy runs in the foreground as a child process with
 * its own temporary folder, and is stopped by `await using`.
 */

import { decodeText } from "./_sse.ts";

const deploy = new URL("../deploy/", import.meta.url).pathname;

/** A running proxy. */
export interface TestProxy extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`, the proxy's public side. */
  readonly origin: string;
  /** The proxy's process id, to read its memory. */
  readonly pid: number;
  /** What the proxy printed so far. */
  readonly output: () => string;
}

/** A port nobody listens on now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** nginx's `http` lines that keep its temporary files in `dir` (a throwaway nginx's folder). */
export function nginxTempPaths(dir: string): string {
  return `  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;`;
}

/** The shipped config with its public port and upstream port replaced. */
async function shipped(file: string, replacements: [RegExp, string][]): Promise<string> {
  let text = await Deno.readTextFile(deploy + file);
  for (const [pattern, value] of replacements) {
    if (!pattern.test(text)) throw new Error(`${file} no longer has ${pattern}`);
    text = text.replace(pattern, value);
  }
  return text;
}

async function startProxy(
  command: string,
  args: (dir: string) => string[],
  config: (dir: string) => Promise<[string, string]>,
  port: number,
): Promise<TestProxy> {
  const dir = await Deno.makeTempDir({ prefix: "ringside-proxy-" });
  const [file, text] = await config(dir);
  await Deno.writeTextFile(`${dir}/${file}`, text);
  const child = new Deno.Command(command, {
    args: args(dir),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let printed = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of decodeText(stream)) printed += chunk;
  };
  const collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const origin = `http://127.0.0.1:${port}`;
  for (let attempt = 0;; attempt++) {
    const connected = await Deno.connect({ hostname: "127.0.0.1", port }).then(
      (connection) => (connection.close(), true),
      () => false,
    );
    if (connected) break;
    const exited = await Promise.race([
      child.status.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 50)),
    ]);
    if (exited || attempt > 200) {
      try {
        child.kill("SIGKILL");
      } catch {
        // gone
      }
      await collected;
      throw new Error(`${command} did not start listening:\n${printed}`);
    }
  }
  return {
    origin,
    pid: child.pid,
    output: () => printed,
    [Symbol.asyncDispose]: async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await collected;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** nginx with `deploy/nginx-ringside.conf` as its only site, in front of `upstreamPort`. */
export function startNginx(upstreamPort: number): Promise<TestProxy> {
  const port = freePort();
  return startProxy(
    "/usr/sbin/nginx",
    (dir) => ["-c", `${dir}/nginx.conf`, "-p", dir, "-e", `${dir}/error.log`],
    async (dir) => {
      const site = await shipped("nginx-ringside.conf", [
        [/listen 80;/, `listen 127.0.0.1:${port};`],
        [/server 127\.0\.0\.1:8080;/, `server 127.0.0.1:${upstreamPort};`],
      ]);
      return [
        "nginx.conf",
        `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
${nginxTempPaths(dir)}
${site}
}
`,
      ];
    },
    port,
  );
}

/** HAProxy with `deploy/haproxy-ringside.cfg`, in front of `upstreamPort`. */
export function startHaproxy(upstreamPort: number): Promise<TestProxy> {
  return haproxyWith("haproxy-ringside.cfg", [
    [/server ringside 127\.0\.0\.1:8080/, `server ringside 127.0.0.1:${upstreamPort}`],
  ]);
}

/**
 * HAProxy with `deploy/haproxy-cluster.cfg` in front of three nodes (`ports`, in the order of
 * the file's `server node1..node3` lines).
 */
export function startHaproxyCluster(ports: [number, number, number]): Promise<TestProxy> {
  return haproxyWith(
    "haproxy-cluster.cfg",
    ports.map((upstream, index): [RegExp, string] => [
      new RegExp(`server node${index + 1} 127\\.0\\.0\\.1:808${index + 1}`),
      `server node${index + 1} 127.0.0.1:${upstream}`,
    ]),
  );
}

/** HAProxy with a shipped config, bound to a free loopback port, its servers replaced. */
function haproxyWith(file: string, servers: [RegExp, string][]): Promise<TestProxy> {
  const port = freePort();
  return startProxy(
    "/usr/sbin/haproxy",
    (dir) => ["-db", "-f", `${dir}/haproxy.cfg`],
    async () => [
      "haproxy.cfg",
      await shipped(file, [[/bind :80/, `bind 127.0.0.1:${port}`], ...servers]),
    ],
    port,
  );
}
