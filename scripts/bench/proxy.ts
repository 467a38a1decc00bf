/**
 * Backpressure behind a proxy (issue 11): ringside on Bun behind Debian's nginx (or HAProxy)
 * from the shipped `deploy/` config, one chunked upload (`curl -T -`) of `--size` random bytes
 * to a receiver capped at `--rate` (`curl --limit-rate`), both through the proxy. Both sides are
 * hashed as they stream (sha256sum in the shell pipelines, nothing held in memory), and the RSS
 * of the proxy's worker(s) and of the ringside server is sampled every second. Prints start,
 * peak and end RSS of each and whether the transfer was byte-exact; exits 1 if it was not.
 *
 * ```sh
 * node_modules/deno/deno run -A scripts/bench/proxy.ts --size 1G --rate 10M --proxy nginx
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { startHaproxy, startNginx, type TestProxy } from "../../tests/_proxy.ts";
import { curlRateBytes, parseSize, residentBytes, startRingside, stopAll } from "./_harness.ts";

/** The worker processes of a proxy: nginx's master forks them; HAProxy (`-db`) is one process. */
function workers(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      if (text !== "") children.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return children.length > 0 ? children : [pid];
}

/** Start, peak and end of a series of RSS samples. */
class Samples {
  readonly values: number[] = [];
  add(bytes: number): void {
    this.values.push(bytes);
  }
  summary(): string {
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    const first = this.values[0] ?? 0;
    const last = this.values.at(-1) ?? 0;
    return `start ${mib(first)}, peak ${mib(Math.max(0, ...this.values))}, end ${mib(last)}`;
  }
}

async function shell(script: string): Promise<{ code: number; out: string; err: string }> {
  const output = await new Deno.Command("bash", {
    args: ["-o", "pipefail", "-c", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: output.code, out: text.decode(output.stdout), err: text.decode(output.stderr) };
}

/** Runs the bench; returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      size: { type: "string", default: "1G" },
      rate: { type: "string", default: "10M" },
      proxy: { type: "string", default: "nginx" },
    },
  });
  const size = parseSize(values.size);
  curlRateBytes(values.rate); // rejects a rate curl would not take
  if (values.proxy !== "nginx" && values.proxy !== "haproxy") {
    throw new RangeError(`--proxy must be nginx or haproxy, not '${values.proxy}'`);
  }
  const dir = await Deno.makeTempDir({ prefix: "ringside-proxybench-" });
  const server = await startRingside("bun", ["--trust-proxy"]);
  let proxy: TestProxy | undefined;
  try {
    const port = Number(new URL(server.origin).port);
    proxy = values.proxy === "nginx" ? await startNginx(port) : await startHaproxy(port);
    const url = `${proxy.origin}/api/v1/pipe/proxybench-${Date.now()}`;
    console.log(
      `${values.proxy} (pid ${proxy.pid}) in front of ${server.label} at ${server.origin}: ` +
        `${values.size} chunked upload, receiver --limit-rate ${values.rate}`,
    );
    const proxyRss = new Samples();
    const serverRss = new Samples();
    const sample = () => {
      proxyRss.add(workers(proxy!.pid).reduce((sum, pid) => sum + residentBytes(pid), 0));
      serverRss.add(residentBytes(server.proc.pid));
    };
    sample();
    const sampler = setInterval(sample, 1000);
    const started = performance.now();
    // Random bytes from a fixed key (fast, never stored): the sender hashes what it sends.
    // openssl dies of SIGPIPE when head has enough: only head's status counts.
    const generate = `(set +o pipefail; openssl enc -aes-128-ctr -nosalt -pass pass:ringside ` +
      `-pbkdf2 -in /dev/zero 2>/dev/null | head -c ${size})`;
    const receiver = shell(
      `curl -sS --fail --limit-rate ${values.rate} ${url} | sha256sum > ${dir}/received.sha`,
    );
    const sender = shell(
      `${generate} | tee >(sha256sum > ${dir}/sent.sha) | ` +
        `curl -sS --fail -T - -o /dev/null ${url}`,
    );
    const [sent, received] = await Promise.all([sender, receiver]);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    sample();
    // `tee >(…)` may finish before its hashing subshell has written the file.
    let sentHash = "";
    for (let i = 0; i < 50 && sentHash === ""; i++) {
      sentHash = (await Deno.readTextFile(`${dir}/sent.sha`).catch(() => "")).split(" ")[0]!;
      if (sentHash === "") await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const receivedHash = (await Deno.readTextFile(`${dir}/received.sha`)).split(" ")[0]!;
    const exact = sent.code === 0 && received.code === 0 && sentHash !== "" &&
      sentHash === receivedHash;
    console.log(`sender exit ${sent.code}${sent.err ? `: ${sent.err.trim()}` : ""}`);
    console.log(`receiver exit ${received.code}${received.err ? `: ${received.err.trim()}` : ""}`);
    console.log(
      `${seconds.toFixed(1)} s, ${(size / seconds / 2 ** 20).toFixed(1)} MiB/s; ` +
        `sha256 sent ${sentHash.slice(0, 16)}…, received ${receivedHash.slice(0, 16)}…`,
    );
    console.log(`${values.proxy} worker RSS: ${proxyRss.summary()}`);
    console.log(`${server.label} RSS: ${serverRss.summary()}`);
    console.log(exact ? "byte-exact: yes" : "byte-exact: NO");
    return exact ? 0 : 1;
  } finally {
    await proxy?.[Symbol.asyncDispose]();
    await server.proc.stop();
    stopAll();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
