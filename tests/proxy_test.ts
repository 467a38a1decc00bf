// End-to-end through real proxies: Debian's nginx and HAProxy, each started from the config
// ringside ships in deploy/, in front of a real server. (Default runtime only, as CI allows for
// suites that need nginx or HAProxy; scripts/test.sh installs them when missing.)
import assert from "node:assert/strict";
import { curl, noise, sha256 } from "./_curl.ts";
import { startHaproxy, startNginx, type TestProxy } from "./_proxy.ts";
import { ringsideCli, startServer } from "./_server.ts";
import { openSse, readSse, waitForPipe } from "./_sse.ts";
import { HubConnection } from "./_ws.ts";
import { RingsideClient } from "../src/client/client.ts";

const tmp = await Deno.makeTempDir({ prefix: "ringside-proxy-test-" });
// Well past the ~4 MB of socket buffers at which nginx stalled a sender answered early.
const SIZE = 24 * 1024 * 1024;
const file = `${tmp}/in.bin`;
await Deno.writeFile(file, noise(SIZE, 11));
const digest = await sha256(file);

type Upload = "content-length" | "chunked" | "chunked, expect 100-continue";
const UPLOADS: Upload[] = ["content-length", "chunked", "chunked, expect 100-continue"];

/** A stalled transfer fails the test instead of hanging the suite. */
const LIMIT = ["--max-time", "120"];

function send(url: string, upload: Upload) {
  if (upload === "content-length") return curl(...LIMIT, "-T", file, url);
  const expect = upload === "chunked" ? ["-H", "Expect:"] : ["-H", "Expect: 100-continue"];
  const sender = curl(...LIMIT, ...expect, "-T", "-", url);
  Deno.readFile(file).then(async (bytes) => {
    await sender.stdin.write(bytes);
    await sender.stdin.close();
  });
  return sender;
}

const PROXIES: [string, (upstreamPort: number) => Promise<TestProxy>][] = [
  ["nginx", startNginx],
  ["haproxy", startHaproxy],
];

for (const [proxyName, startProxy] of PROXIES) {
  Deno.test(`through ${proxyName}: pipes, SSE and the dashboard work as direct`, async (t) => {
    await using server = await startServer({ args: ["--trust-proxy"] });
    await using proxy = await startProxy(Number(new URL(server.origin).port));
    const via = (name: string) => `${proxy.origin}/api/v1/pipe/${name}`;

    for (const upload of UPLOADS) {
      for (const capped of [false, true]) {
        await t.step(
          `${upload}, receiver ${capped ? "capped at 8 MB/s" : "unlimited"}`,
          async () => {
            const name = `${proxyName}-${upload.replaceAll(/\W+/g, "-")}-${capped}`;
            const out = `${tmp}/${name}.bin`;
            const receiver = curl(
              ...LIMIT,
              ...(capped ? ["--limit-rate", "8M"] : []),
              "-o",
              out,
              via(name),
            );
            await waitForPipe(server.origin, name, (s) => s.receivers === 1);
            const sender = send(via(name), upload);
            const [sent, received] = await Promise.all([sender.result, receiver.result]);
            assert.equal(received.code, 0, received.stderr);
            assert.equal(sent.code, 0, sent.stderr);
            assert.match(sent.stdout, new RegExp(`Sent ${SIZE} bytes to 1 receiver`));
            assert.equal(await sha256(out), digest);
            await Deno.remove(out);
          },
        );
      }
    }

    await t.step("sender first, receiver later", async () => {
      const name = `${proxyName}-sender-first`;
      const sender = send(via(name), "content-length");
      await waitForPipe(server.origin, name, (s) => s.state === "waiting" && s.receivers === 0);
      const out = `${tmp}/${name}.bin`;
      const received = await curl("-o", out, via(name)).result;
      assert.equal(received.code, 0, received.stderr);
      assert.equal((await sender.result).code, 0);
      assert.equal(await sha256(out), digest);
    });

    await t.step("SSE events pass the proxy as they happen, not when the stream ends", async () => {
      // The sender writes one more MB only after the spectator behind the proxy has seen the
      // last one's progress event: a proxy that held SSE back would stall this step.
      const name = `${proxyName}-sse`;
      const seen: number[] = [];
      let wake = () => {};
      const watching = readSse((await openSse(`${via(name)}?progress`)).body!, (event) => {
        if (event.type === "progress") seen.push(JSON.parse(event.data).bytes);
        wake();
      });
      const receiver = curl("-o", "/dev/null", via(name));
      await waitForPipe(server.origin, name, (s) => s.receivers === 1);
      const sender = curl("-H", "Expect:", "-T", "-", via(name));
      const chunk = noise(1024 * 1024, 5);
      for (let i = 1; i <= 3; i++) {
        await sender.stdin.write(chunk);
        while (!seen.some((bytes) => bytes >= i * chunk.length)) {
          await new Promise<void>((resolve) => wake = resolve);
        }
      }
      await sender.stdin.close();
      assert.equal((await sender.result).code, 0);
      assert.equal((await receiver.result).code, 0);
      const record = await watching;
      assert.equal(record.events.at(-1)?.type, "done");
      assert.equal(JSON.parse(record.events.at(-1)!.data).bytes, 3 * chunk.length);
    });

    await t.step("a sender that aborts is an error to the receiver", async () => {
      const name = `${proxyName}-abort`;
      const receiver = curl("-o", "/dev/null", via(name));
      await waitForPipe(server.origin, name, (s) => s.receivers === 1);
      const sender = curl("-H", "Expect:", "-T", "-", via(name));
      await sender.stdin.write(noise(1024 * 1024, 3));
      await waitForPipe(server.origin, name, (s) => s.state === "streaming");
      sender.kill();
      await sender.result;
      const received = await receiver.result;
      assert.notEqual(received.code, 0, "the receiver's curl must see a truncated stream");
      const failed = await (await fetch(`${via(name)}?progress&format=json`)).json();
      assert.equal(failed.state, "failed");
    });

    await t.step("the WebSocket hub passes the proxy", async () => {
      const name = `${proxyName}-hub`;
      using hub = await HubConnection.open(proxy.origin);
      hub.send({ type: "ping" });
      assert.deepEqual(await hub.next(), { type: "pong" });
      await hub.subscribe(`pipe:${name}`);
      assert.equal((await hub.next()).data.state, "idle");
      const receiver = curl("-o", "/dev/null", via(name));
      const sender = curl("--data-binary", "through the proxy", via(name));
      const last = await hub.until((m) =>
        m.type === "pipe_progress" && m.data.state === "complete"
      );
      assert.equal(last.data.bytes, "through the proxy".length);
      assert.equal((await sender.result).code, 0);
      assert.equal((await receiver.result).code, 0);
    });

    await t.step("ringside run and ringside watch work through the proxy", async () => {
      const cli = (args: string[]) =>
        ringsideCli({
          args: [...args],
          env: { RINGSIDE_TOKEN: "" },
        }).output().then((out) => ({
          code: out.code,
          stdout: new TextDecoder().decode(out.stdout),
          stderr: new TextDecoder().decode(out.stderr),
        }));
      const id = `${proxyName}-run`;
      const ran = await cli([
        "run",
        "--server",
        proxy.origin,
        "--id",
        id,
        "--",
        "sh",
        "-c",
        "seq 1 500; echo two >&2; exit 3",
      ]);
      assert.equal(ran.code, 3, ran.stderr);
      // The watch link ringside run prints is on the proxy's public address.
      const link = /watch link (\S+)/.exec(ran.stderr)?.[1] ?? "";
      assert.ok(link.startsWith(`${proxy.origin}/w/`), ran.stderr);
      const expected = Array.from({ length: 500 }, (_, i) => `${i + 1}\n`).join("");
      for (const url of [`${proxy.origin}/api/v1/processes/${id}`, link]) {
        const watched = await cli(["watch", url]);
        assert.equal(watched.code, 3, watched.stderr);
        assert.equal(watched.stdout, expected);
        assert.equal(watched.stderr, "two\n");
      }
    });

    await t.step("ringside watch follows a live job through the proxy as it moves", async () => {
      const id = `${proxyName}-live-job`;
      const client = new RingsideClient({ server: proxy.origin });
      const { url } = await client.startJob(id, { progress: 0, state: "warming" });
      const child = ringsideCli({
        args: ["watch", url],
        env: { RINGSIDE_TOKEN: "" },
      }).spawn();
      const stderr = new Response(child.stderr).text();
      // A proxy that held the events back would stall the watcher: end it rather than hang.
      const stalled = setTimeout(() => child.kill(), 60_000);
      // Each state must reach the watcher while the job runs: read its lines as they come.
      const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      async function line(expected: string): Promise<void> {
        while (!seen.split("\n").includes(expected)) {
          const { value, done } = await lines.read();
          if (done) throw new Error(`watch ended before '${expected}': ${seen}${await stderr}`);
          seen += value;
        }
      }
      await line("0%  warming");
      await client.publish(id, { progress: 50, state: "halfway" });
      await line("50%  halfway");
      await client.finish(id, { message: "all good" });
      await line("100%  success  all good");
      const { value, done } = await lines.read();
      assert.ok(done, `after the end: ${value}`);
      clearTimeout(stalled);
      assert.equal((await child.status).code, 0);
      assert.equal(await stderr, "");
    });

    await t.step("the dashboard and the help use the public address", async () => {
      const page = await fetch(`${via("dash")}?progress`, { headers: { accept: "text/html" } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>idle · dash<\/title>/);
      const help = await (await fetch(`${proxy.origin}/help`)).text();
      assert.match(help, new RegExp(`curl -T - ${proxy.origin}/api/v1/pipe/NAME`));
      const forwarded = await (await fetch(`${proxy.origin}/help`, {
        headers: { "x-forwarded-proto": "https", "x-forwarded-host": "watch.example" },
      })).text();
      // The proxy sets the scheme and host it saw itself, whatever the client claims.
      assert.doesNotMatch(forwarded, /watch\.example/);
    });
  });
}
