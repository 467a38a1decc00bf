// The README's examples, run: every fenced block of README.md is run against real servers on the
// runtime under test (RINGSIDE_TEST_RUNTIME), in the README's order, as a reader following the
// guide would type them, so the guide cannot drift from what ringside does.
//
// - `sh` blocks run in bash; `ts` blocks run in Deno with this repository's import map.
// - A block right after `<!-- not run: REASON -->` is not run; any other block fails the test.
// - What a reader would put in place of the README's stand-ins:
//   - `http://127.0.0.1:8080` is a server this test started (HOST is set to it too);
//   - `ringside` runs ringside on the runtime under test (ringsideCommand);
//   - a line `ringside serve FLAGS` starts a server with those flags (on port 0), and the rest of
//     its block uses that server as HOST;
//   - `curl` fails on an HTTP error (`--fail-with-body`), so a refused request fails the block;
//   - `open URL` fetches URL as a browser would and fails unless the answer is an HTML page;
//   - a watch link the README made up is the real link of the topic it stands for (WATCH_LINKS);
//   - TOKEN, VIEWER (a --read-token) and JWT_SECRET are set; the working folder holds `./data`, `./deploy.sh` and a
//     Makefile; servers the README starts run in a folder whose Makefile builds until stopped
//     (a named task that DELETE stops);
//   - the block that installs the command (`npm install -g`) runs in this clone, offline, with
//     npm's global prefix in a temporary folder whose bin comes first on the PATH.
// - Every command that fails is reported with its README line, and the block goes on (a later
//   command may end what an earlier one left running); commands sent to the background with `&`
//   must succeed too.
import assert from "node:assert/strict";
import { expectedWatchId, ringsideCommand, startServer, type TestServer } from "./_server.ts";

const root = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const EXAMPLE_ORIGIN = "http://127.0.0.1:8080";
const SECRET = "readme-watch-secret";
const TOKEN = "readme-token";
const JWT_SECRET = "readme-jwt-secret";
const VIEWER = "readme-read-only-token";
/** Watch ids the README made up, and the topic each stands for. */
const WATCH_LINKS: Record<string, [kind: string, name: string]> = {
  Jt4mK8dQx2Lw0pZs7VbN1c: ["pipe", "migration"],
};
/** Long enough for any block on a loaded machine; only a hung block reaches it. */
const HUNG_AFTER_MS = 300_000;

interface Block {
  lang: string;
  code: string;
  /** The line of the opening fence in README.md. */
  line: number;
  /** The reason given in `<!-- not run: … -->`, or null when the block runs. */
  notRun: string | null;
  /** The heading the block is under. */
  section: string;
}

/** The fenced blocks of a markdown text, with the `not run` mark before each, if any. */
function fencedBlocks(text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  let section = "";
  for (let i = 0; i < lines.length; i++) {
    section = /^#+ (.+)$/.exec(lines[i]!)?.[1] ?? section;
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    let before = i - 1;
    while (before >= 0 && lines[before]!.trim() === "") before--;
    const mark = before >= 0 ? /^<!-- not run: (.+?) -->$/.exec(lines[before]!.trim()) : null;
    const body: string[] = [];
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) body.push(lines[end++]!);
    assert.ok(end < lines.length, `README.md:${i + 1}: the block is never closed`);
    blocks.push({
      lang: open[1]!,
      code: body.join("\n") + "\n",
      line: i + 1,
      notRun: mark?.[1] ?? null,
      section,
    });
    i = end;
  }
  return blocks;
}

/** The first executable named `name` on the PATH. */
function which(name: string): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const info = Deno.statSync(`${dir}/${name}`);
      if (info.isFile && (info.mode ?? 0) & 0o111) return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  throw new Error(`${name} is not on the PATH`);
}

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

async function writeExecutable(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, 0o755);
}

/** Folders and stand-ins the blocks run with. */
interface Sandbox {
  /** The working folder: ./data, ./deploy.sh, a Makefile. */
  work: string;
  /** Where servers the README starts run: a Makefile whose build runs until stopped. */
  operator: string;
  /** `ringside`, `curl` and `open` as described at the top. */
  bin: string;
}

async function makeSandbox(): Promise<Sandbox> {
  const dir = await Deno.makeTempDir({ prefix: "ringside-readme-" });
  const work = `${dir}/work`;
  const operator = `${dir}/operator`;
  const bin = `${dir}/bin`;
  for (const path of [`${work}/data`, operator, bin]) await Deno.mkdir(path, { recursive: true });
  await Deno.writeTextFile(
    `${work}/data/rows.csv`,
    Array.from({ length: 20_000 }, (_, i) => `${i},row ${i}`).join("\n") + "\n",
  );
  await Deno.writeTextFile(`${work}/data/notes.txt`, "what the migration moves\n");
  await writeExecutable(
    `${work}/deploy.sh`,
    "#!/bin/sh\necho 'deploying 3 services'\necho 'warning: cache is cold' >&2\necho 'deployed'\n",
  );
  await Deno.writeTextFile(`${work}/Makefile`, "all:\n\t@echo compiling\n\t@echo linked\n");
  await Deno.writeTextFile(`${operator}/Makefile`, "all:\n\t@echo building\n\tsleep 600\n");
  const curl = which("curl");
  await writeExecutable(
    `${bin}/ringside`,
    `#!/bin/sh\nexec ${ringsideCommand().map(quote).join(" ")} "$@"\n`,
  );
  await writeExecutable(
    `${bin}/curl`,
    `#!/bin/sh\nexec ${quote(curl)} --fail-with-body -sS "$@"\n`,
  );
  await writeExecutable(
    `${bin}/open`,
    `#!/bin/sh
# A browser opening the URL: it must get a page.
type=$(${quote(curl)} --fail-with-body -sS -o /dev/null -w '%{content_type}' \\
  -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' "$1") || exit
case $type in
text/html*) ;;
*) echo "open: $1 answered $type, not a page" >&2; exit 1 ;;
esac
`,
  );
  return { work, operator, bin };
}

/** What a run of a block printed, and whether it succeeded. */
interface Ran {
  code: number;
  output: string;
}

/**
 * Runs a bash script in a process group of its own. One still running after HUNG_AFTER_MS is
 * killed, with whatever it started (which would otherwise hold its output open), and fails.
 */
async function runBash(
  script: string,
  options: { cwd: string; env: Record<string, string> },
): Promise<Ran> {
  const child = new Deno.Command("setsid", {
    args: ["bash", "-c", script],
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    Deno.kill(-child.pid, "SIGKILL");
  }, HUNG_AFTER_MS);
  const result = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  const output = decoder.decode(result.stdout) + decoder.decode(result.stderr);
  return {
    code: result.code,
    output: hung ? `${output}\nreadme: killed after ${HUNG_AFTER_MS / 1000} s (hung?)` : output,
  };
}

/** The words of a `ringside serve` line's flags, as bash would pass them. */
async function serveArgs(flags: string, env: Record<string, string>): Promise<string[]> {
  const words = await new Deno.Command("bash", {
    args: ["-c", `set -- ${flags}; printf '%s\\0' "$@"`],
    env,
    stdout: "piped",
  }).output();
  assert.ok(words.success, flags);
  return new TextDecoder().decode(words.stdout).split("\0").slice(0, -1);
}

Deno.test("every example in README.md runs, or says why not", async (t) => {
  const readme = await Deno.readTextFile(`${root}/README.md`);
  const blocks = fencedBlocks(readme);
  assert.equal(
    blocks.filter((block) => block.notRun !== null).length,
    [...readme.matchAll(/<!-- not run: /g)].length,
    "every <!-- not run: … --> mark is right before a block",
  );
  for (const id of Object.keys(WATCH_LINKS)) assert.ok(readme.includes(`/w/${id}`), id);

  const sandbox = await makeSandbox();
  const env = {
    PATH: `${sandbox.bin}:${Deno.env.get("PATH")}`,
    TOKEN,
    VIEWER,
    JWT_SECRET,
  };
  const servers: TestServer[] = [];
  try {
    const server = await startServer({ cwd: sandbox.work, env: { RINGSIDE_SECRET: SECRET } });
    servers.push(server);
    const links = Object.entries(WATCH_LINKS).map(async ([madeUp, [kind, name]]) =>
      [madeUp, await expectedWatchId(SECRET, kind, name)] as const
    );
    const realIds = await Promise.all(links);

    for (const block of blocks) {
      const title = `README.md:${block.line} \`\`\`${block.lang} (${block.section})`;
      if (block.notRun !== null) {
        assert.ok(block.notRun.trim().length > 0, `${title}: say why it is not run`);
        continue;
      }
      await t.step(title, async () => {
        if (block.lang === "ts") return await runTypeScript(block);
        assert.ok(
          block.lang === "sh" || block.lang === "bash",
          `${title}: a block is run (sh, bash, ts) or marked <!-- not run: REASON -->`,
        );
        for (const [, id] of block.code.matchAll(/\/w\/([A-Za-z0-9_-]{22})\b/g)) {
          assert.ok(
            id! in WATCH_LINKS,
            `${title}: a made-up watch id ${id} the test does not know`,
          );
        }
        let code = block.code.replaceAll(EXAMPLE_ORIGIN, server.origin);
        for (const [madeUp, real] of realIds) code = code.replaceAll(madeUp, real);
        const lines: string[] = [];
        let continued = false;
        for (const line of code.split("\n")) {
          const wasContinued = continued;
          continued = /\\$/.test(line);
          // `CMD &`: CMD's status (pipefail included) is kept, for the epilogue to check.
          const background = /^(.*[^&\s])\s*&(\s+#.*)?$/.exec(line);
          if (background) {
            assert.ok(!wasContinued, `${title}: put a command sent to the background on one line`);
            lines.push(`{ ${background[1]}; } & background+=("$!")${background[2] ?? ""}`);
            continue;
          }
          // A `ringside serve` line: that server, started here, is the HOST from then on.
          const serve = /^ringside serve(?:\s+(.*))?$/.exec(line);
          if (!serve) {
            lines.push(line);
            continue;
          }
          const started = await startServer({
            args: await serveArgs(serve[1] ?? "", env),
            cwd: sandbox.operator,
            env: { RINGSIDE_SECRET: SECRET },
          });
          servers.push(started);
          lines.push(`HOST=${started.origin}`);
        }
        const installs = /\bnpm install -g\b/.test(code);
        const prefix = installs ? await Deno.makeTempDir({ prefix: "ringside-readme-npm-" }) : "";
        // The body starts on the script's line 4, README line block.line + 1.
        const prelude = [
          "set -o pipefail",
          "failed=0 background=()",
          `trap 'code=$?; echo "README.md:$((LINENO + ${block.line} - 3)): exit $code: $BASH_COMMAND" >&2; failed=1' ERR`,
        ];
        const epilogue = [
          'for pid in "${background[@]}"; do',
          '  wait "$pid" || { echo "a command sent to the background exited $?" >&2; failed=1; }',
          "done",
          'exit "$failed"',
        ];
        const ran = await runBash([...prelude, ...lines, ...epilogue].join("\n"), {
          cwd: installs ? root : sandbox.work,
          env: {
            ...env,
            HOST: server.origin,
            ...(installs
              ? {
                PATH: `${prefix}/bin:${env.PATH}`,
                // `npm test` hands its scripts npm_config_prefix=/usr (lower case), which npm
                // reads before NPM_CONFIG_PREFIX: both spellings, or the bin lands in /usr/bin.
                NPM_CONFIG_PREFIX: prefix,
                npm_config_prefix: prefix,
                npm_config_global_prefix: prefix,
                NPM_CONFIG_OFFLINE: "true",
                NPM_CONFIG_UPDATE_NOTIFIER: "false",
                NPM_CONFIG_AUDIT: "false",
                NPM_CONFIG_FUND: "false",
              }
              : {}),
          },
        });
        assert.equal(ran.code, 0, `${title} failed:\n${ran.output}`);
        if (installs) {
          assert.ok(await Deno.lstat(`${prefix}/bin/ringside`), "npm put ringside in PREFIX/bin");
        }
      });
    }
  } finally {
    // SIGTERM: a server stops the named tasks it still runs (the Makefile's sleep) on its way out.
    await Promise.all(servers.map((server) => server.stop("SIGTERM")));
  }
});

/**
 * A `ts` block, run by Deno with the repository's import map. A block that makes a JWT prints it,
 * and the token must do what the README says: touch its own jobs and `backup-` pipes, nothing else.
 */
async function runTypeScript(block: Block): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ringside-readme-ts-" });
  const signs = /\bconst jwt = await sign\(/.test(block.code);
  await Deno.writeTextFile(`${dir}/block.ts`, block.code + (signs ? "console.log(jwt);\n" : ""));
  const ran = await new Deno.Command(`${root}/node_modules/.bin/deno`, {
    args: ["run", "-A", "--config", `${root}/deno.json`, `${dir}/block.ts`],
    env: { JWT_SECRET },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(ran.code, 0, decoder.decode(ran.stderr));
  if (!signs) return;
  const jwt = decoder.decode(ran.stdout).trim();
  await using server = await startServer({ args: ["--jwt-secret", JWT_SECRET] });
  const headers = { authorization: `Bearer ${jwt}` };
  const job = await fetch(`${server.origin}/api/v1/jobs/ci/readme`, {
    method: "POST",
    headers,
    body: "{}",
  });
  assert.equal(job.status, 201, await job.text());
  const other = await fetch(`${server.origin}/api/v1/jobs/nightly/readme`, {
    method: "POST",
    headers,
    body: "{}",
  });
  assert.equal(other.status, 403);
  assert.match(await other.text(), /Token scope does not cover 'job:nightly\/readme'/);
  // A name, not a string prefix: `job:ci` does not cover `ci-other`.
  const sibling = await fetch(`${server.origin}/api/v1/jobs/ci-other`, {
    method: "POST",
    headers,
    body: "{}",
  });
  assert.equal(sibling.status, 403);
  await sibling.body?.cancel();
  const pipe = await fetch(`${server.origin}/api/v1/pipe/other`, {
    method: "PUT",
    headers,
    body: "x",
  });
  assert.equal(pipe.status, 403);
  assert.match(await pipe.text(), /Token scope does not cover 'pipe:other'/);
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** The anchors of a markdown file's headings (outside code blocks), numbered as GitHub does. */
function anchors(text: string): Set<string> {
  const found = new Set<string>();
  let fence = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fence = !fence;
    const heading = fence ? null : /^#{1,6} (.+)$/.exec(line);
    if (!heading) continue;
    const base = anchor(heading[1]!);
    let name = base;
    for (let n = 1; found.has(name); n++) name = `${base}-${n}`;
    found.add(name);
  }
  return found;
}

Deno.test("links between README.md and docs/ lead to a file and a heading that exist", async () => {
  const files = [
    "README.md",
    ...[...Deno.readDirSync(`${root}/docs`)]
      .filter((entry) => entry.isFile && entry.name.endsWith(".md"))
      .map((entry) => `docs/${entry.name}`),
  ];
  let checked = 0;
  for (const file of files) {
    const text = await Deno.readTextFile(`${root}/${file}`);
    // Code blocks and inline code hold no links.
    const prose = text.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
    for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [path, hash] = target!.split("#") as [string, string | undefined];
      const resolved = path === "" ? file : new URL(path, `file:///${file}`).pathname.slice(1);
      const body = await Deno.readTextFile(`${root}/${resolved}`).catch(() => null);
      assert.ok(body !== null, `${file}: link to ${target}: no file ${resolved}`);
      if (hash !== undefined) {
        assert.ok(anchors(body).has(hash), `${file}: link to ${target}: no heading #${hash}`);
      }
      checked++;
    }
  }
  assert.ok(checked > 20, `only ${checked} links checked`);
});
