// End-to-end for the `ringside` command as a newcomer gets it: `npm install -g` of this clone into
// a temporary prefix (what `npm install -g .` and `npm link` do: link the folder, install nothing,
// so it runs offline), then the command npm put in PREFIX/bin, against a real server. The launcher
// (scripts/ringside) always runs Bun, so this file is not run per runtime.
import assert from "node:assert/strict";
import { startServer } from "./_server.ts";
import { decodeText } from "./_sse.ts";
import { VERSION } from "../src/version.ts";

const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function output(
  command: string,
  args: string[],
  options: { cwd?: string; stdin?: string; env?: Record<string, string> } = {},
): Promise<Output> {
  const child = new Deno.Command(command, {
    args,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env } : {}),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const result = await child.output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    stdout: decoder.decode(result.stdout),
    stderr: decoder.decode(result.stderr),
  };
}

/** `npm install -g CLONE` into a fresh prefix; returns the prefix. */
async function installGlobally(): Promise<string> {
  const prefix = await Deno.makeTempDir({ prefix: "ringside-prefix-" });
  const installed = await output("npm", [
    "install",
    "-g",
    root,
    "--prefix",
    prefix,
    "--offline",
    "--no-audit",
    "--no-fund",
    "--no-update-notifier",
  ]);
  assert.equal(installed.code, 0, installed.stderr);
  return prefix;
}

Deno.test("npm install -g puts a ringside command on the PATH that runs the pinned Bun", async () => {
  const prefix = await installGlobally();
  const ringside = `${prefix}/bin/ringside`;
  // npm links the folder: the command is this clone's launcher, nothing was copied.
  assert.equal(
    await Deno.realPath(`${prefix}/lib/node_modules/ringside`),
    await Deno.realPath(root),
  );
  const help = await output(ringside, ["--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^ringside \S+: give every long-running thing a URL/);
  assert.match(help.stdout, /ringside run \[--server URL\]/);
  const version = await output(ringside, ["--version"]);
  assert.equal(version.code, 0, version.stderr);
  const bun = JSON.parse(await Deno.readTextFile(`${root}/package.json`)).dependencies.bun;
  assert.equal(version.stdout, `ringside ${VERSION} (bun ${bun})\n`);

  await using server = await startServer({ runtime: "bun" });
  const elsewhere = await Deno.makeTempDir({ prefix: "ringside-cwd-" });
  // `ringside run -- true`: exit 0, the URL on stderr, the run recorded on the server.
  const ran = await output(ringside, ["run", "--server", server.origin, "--", "true"], {
    cwd: elsewhere,
  });
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stdout, "");
  const url = /ringside: live output at (\S+)/.exec(ran.stderr)?.[1] ?? "";
  assert.ok(url.startsWith(`${server.origin}/api/v1/processes/true-`), ran.stderr);
  const snapshot = await fetch(url, { headers: { accept: "application/json" } }).then((res) =>
    res.json()
  );
  assert.deepEqual([snapshot.status, snapshot.exitCode], ["exited", 0]);

  // stdin, stdout, stderr, the working directory and the exit code pass through.
  const piped = await output(
    ringside,
    [
      "run",
      "--server",
      server.origin,
      "--id",
      "pass",
      "--",
      "sh",
      "-c",
      "cat; pwd; echo oops >&2; exit 7",
    ],
    { cwd: elsewhere, stdin: "from stdin\n" },
  );
  assert.equal(piped.code, 7, piped.stderr);
  assert.equal(piped.stdout, `from stdin\n${await Deno.realPath(elsewhere)}\n`);
  assert.match(piped.stderr, /^oops$/m);
  const lines = await fetch(`${server.origin}/api/v1/processes/pass`, {
    headers: { accept: "application/json" },
  }).then((res) => res.json());
  assert.deepEqual([lines.status, lines.exitCode], ["exited", 7]);

  const usage = await output(ringside, ["run", "--nonsense"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^ringside run: /);

  const removed = await output("npm", ["uninstall", "-g", "ringside", "--prefix", prefix]);
  assert.equal(removed.code, 0, removed.stderr);
  await assert.rejects(Deno.lstat(ringside), Deno.errors.NotFound);
  // Uninstalling removed the links, not the clone.
  await Deno.stat(`${root}/scripts/ringside`);
});

Deno.test("the installed ringside serve is Bun itself, and drains on a Ctrl-C", async () => {
  const prefix = await installGlobally();
  // A session of its own stands for a terminal's foreground process group: Ctrl-C signals every
  // process in it. The launcher execs Bun, so the process npm's command started is the server
  // itself and the signal reaches it once, never a second time through a forwarding parent (serve
  // takes a second SIGINT as "exit now" instead of draining). The exit code is the server's.
  const child = new Deno.Command("setsid", {
    args: [`${prefix}/bin/ringside`, "serve", "--host", "127.0.0.1", "--port", "0"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let listening: () => void;
  const ready = new Promise<void>((resolve) => listening = resolve);
  const collected = Promise.all([child.stdout, child.stderr].map(async (stream) => {
    for await (const chunk of decodeText(stream)) {
      text += chunk;
      if (/listening on http:\/\/127\.0\.0\.1:\d+/.test(text)) listening();
    }
  }));
  const status = child.status;
  await Promise.race([
    ready,
    status.then((s) => {
      throw new Error(`serve exited with ${s.code} before listening:\n${text}`);
    }),
  ]);
  assert.equal(
    await Deno.realPath(`/proc/${child.pid}/exe`),
    await Deno.realPath(`${root}/node_modules/.bin/bun`),
  );
  const killed = await output("kill", ["-INT", "--", `-${child.pid}`]);
  assert.equal(killed.code, 0, killed.stderr);
  const { code } = await status;
  await collected;
  assert.equal(code, 0, text);
  assert.equal(text.match(/ draining /g)?.length, 1, text);
  assert.doesNotMatch(text, /exiting now/);
  assert.match(text, / drained /);
});

Deno.test("a ringside whose package has no node_modules says to run npm install", async () => {
  // The layout npm makes: PREFIX/bin/ringside -> ../lib/node_modules/ringside/scripts/ringside,
  // where lib/node_modules/ringside is a link to the clone; this clone was never installed.
  const dir = await Deno.makeTempDir({ prefix: "ringside-nobun-" });
  const clone = `${dir}/clone`;
  await Deno.mkdir(`${clone}/scripts`, { recursive: true });
  await Deno.copyFile(`${root}/scripts/ringside`, `${clone}/scripts/ringside`);
  await Deno.chmod(`${clone}/scripts/ringside`, 0o755);
  await Deno.mkdir(`${dir}/prefix/bin`, { recursive: true });
  await Deno.mkdir(`${dir}/prefix/lib/node_modules`, { recursive: true });
  await Deno.symlink("../../../clone", `${dir}/prefix/lib/node_modules/ringside`);
  await Deno.symlink(
    "../lib/node_modules/ringside/scripts/ringside",
    `${dir}/prefix/bin/ringside`,
  );
  const result = await output(`${dir}/prefix/bin/ringside`, ["--help"]);
  assert.equal(result.code, 127);
  assert.equal(result.stdout, "");
  const real = await Deno.realPath(clone);
  assert.equal(
    result.stderr,
    `ringside: Bun is not installed in ${real}/node_modules: run 'npm install' in ${real}\n`,
  );
});

Deno.test("every npm run script opens the deno task of the same name; start and test stay", async () => {
  const pkg = JSON.parse(await Deno.readTextFile(`${root}/package.json`));
  // deno.json is JSONC; its comments are whole lines.
  const deno = JSON.parse(
    (await Deno.readTextFile(`${root}/deno.json`)).replace(/^\s*\/\/.*$/gm, ""),
  );
  const scripts: Record<string, string> = pkg.scripts;
  const tasks: Record<string, string> = deno.tasks;
  assert.equal(pkg.version, VERSION);
  assert.equal(pkg.bin.ringside, "scripts/ringside");
  assert.ok(((await Deno.stat(`${root}/scripts/ringside`)).mode! & 0o111) !== 0);
  // The two commands of the README run what they always ran.
  assert.equal(scripts.start, tasks.start);
  assert.equal(scripts.test, tasks.test);
  const mirrored = Object.keys(scripts).filter((name) =>
    !["start", "test", "prestart", "pretest"].includes(name)
  );
  assert.deepEqual(
    mirrored.sort(),
    Object.keys(tasks).filter((name) => !["start", "test"].includes(name)).sort(),
  );
  for (const name of mirrored) {
    assert.equal(scripts[name], `node_modules/.bin/deno task ${name}`);
  }
});
