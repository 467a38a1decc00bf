// End-to-end: `ringside run` in a real terminal, a tmux pane on a private tmux server, against a
// real server (bun, deno or the binary: RINGSIDE_TEST_RUNTIME). On Bun and the binary the
// command gets a pseudo-terminal of its own; Deno has none and keeps two pipes.
import assert from "node:assert/strict";
import { ringsideCli, ringsideCommand, startServer, testRuntime } from "./_server.ts";

const TMUX = "/usr/bin/tmux";
/** Whether the command gets a terminal of its own on this runtime. */
const ptys = testRuntime !== "deno";

function quote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A tmux server of our own (`tmux -L`), killed at the end; one window, `t`. */
class Tmux implements AsyncDisposable {
  readonly socket = `ringside-test-${crypto.randomUUID().slice(0, 8)}`;

  /** Runs a tmux command on this server; resolves with its stdout. */
  async tmux(...args: string[]): Promise<string> {
    const { code, stdout, stderr } = await new Deno.Command(TMUX, {
      args: ["-L", this.socket, "-f", "/dev/null", ...args],
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(stdout);
    if (code !== 0) throw new Error(`tmux ${args[0]}: ${new TextDecoder().decode(stderr)}`);
    return text;
  }

  /**
   * Runs `command` (shell) in window `t`, `cols`×`rows`. Afterwards the pane shows
   * `EXIT=<code>` and `stty -a`, and the channel `done` is signalled (see `finished`).
   */
  async start(command: string, size: { cols: number; rows: number }): Promise<void> {
    const script = `${command}; echo EXIT=$?; stty -a; ` +
      `${TMUX} -L ${this.socket} wait-for -S done; exec sleep 600`;
    await this.tmux(
      "new-session",
      "-d",
      "-s",
      "t",
      "-x",
      String(size.cols),
      "-y",
      String(size.rows),
      script,
    );
  }

  /** Waits for the tmux channel `name` (`tmux wait-for -S name` from the pane). */
  async signalled(name: string): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        this.tmux("wait-for", name),
        // Not a time budget: a broken run would otherwise hang the suite with nothing to read.
        new Promise((_, reject) =>
          timer = setTimeout(
            async () => reject(new Error(`No '${name}' from the pane:\n${await this.screen()}`)),
            120_000,
          )
        ),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits until the command has ended; resolves with what the pane shows. */
  async finished(): Promise<string> {
    await this.signalled("done");
    return await this.screen();
  }

  /** The pane's text, its history included, wrapped lines joined. */
  screen(): Promise<string> {
    return this.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "t");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const path = await this.tmux("display-message", "-p", "#{socket_path}").catch(() => "");
    await this.tmux("kill-server").catch(() => {});
    // tmux leaves its socket file behind when killed.
    if (path.trim()) await Deno.remove(path.trim()).catch(() => {});
  }
}

/** `ringside run --server ORIGIN --id ID [FLAGS] -- sh -c SCRIPT` as one shell word list. */
function runLine(origin: string, id: string, script: string, flags: string[] = []): string {
  return [...ringsideCommand(), "run", "--server", origin, "--id", id, ...flags, "--", "sh", "-c"]
    .concat(script).map(quote).join(" ");
}

interface Snapshot {
  status: string;
  exitCode: number | null;
  tail: { stream: string; line: string }[];
}

async function snapshot(origin: string, id: string): Promise<Snapshot> {
  const response = await fetch(`${origin}/api/v1/processes/${id}`, {
    headers: { accept: "application/json" },
  });
  assert.equal(response.status, 200);
  return await response.json();
}

/** The pane's lines, trailing blanks dropped. */
function lines(screen: string): string[] {
  return screen.split("\n").map((line) => line.trimEnd());
}

/** The terminal's modes after the run, from `stty -a` in the pane: restored, or still raw. */
function restored(screen: string): boolean {
  const modes = screen.slice(screen.lastIndexOf("EXIT="));
  return /(^|[\s;])icanon([\s;]|$)/m.test(modes) && /(^|[\s;])echo([\s;]|$)/m.test(modes);
}

const PROBE = "test -t 1 && echo TTY || echo PIPE; stty size";

Deno.test(`ringside run in a terminal (${testRuntime})`, async (t) => {
  await using server = await startServer();

  await t.step(
    "the command sees a terminal of the pane's size; the server, its lines",
    async () => {
      await using tmux = new Tmux();
      await tmux.start(runLine(server.origin, "tty-probe", `${PROBE}; exit 3`), {
        cols: 100,
        rows: 30,
      });
      const screen = lines(await tmux.finished());
      const expected = [ptys ? "TTY" : "PIPE", "30 100"];
      const at = screen.indexOf(expected[0]!);
      assert.deepEqual(screen.slice(at, at + 3), [...expected, "EXIT=3"], screen.join("\n"));
      assert.ok(restored(screen.join("\n")), screen.join("\n"));
      const process = await snapshot(server.origin, "tty-probe");
      assert.deepEqual([process.status, process.exitCode], ["exited", 3]);
      assert.deepEqual(process.tail.map((line) => [line.stream, line.line]), [
        ["stdout", expected[0]],
        ["stdout", expected[1]],
      ]);
    },
  );

  await t.step("a resized pane resizes the command's terminal; Ctrl-C ends it", async () => {
    await using tmux = new Tmux();
    const signal = (name: string) => `${TMUX} -L ${tmux.socket} wait-for -S ${name}`;
    const script = `trap 'stty size; ${signal("resized")}' WINCH; stty size; ${signal("ready")}; ` +
      "while :; do sleep 1 & wait $!; done";
    await tmux.start(runLine(server.origin, "tty-resize", script), { cols: 80, rows: 24 });
    await tmux.signalled("ready");
    await tmux.tmux("resize-window", "-t", "t", "-x", "120", "-y", "40");
    await tmux.signalled("resized");
    await tmux.tmux("send-keys", "-t", "t", "C-c");
    const screen = await tmux.finished();
    assert.match(screen, /^24 80$/m);
    assert.match(screen, /^40 120$/m);
    // The terminal echoes the key as `^C`, and no newline after it.
    assert.match(screen, /^(\^C)?EXIT=130$/m);
    assert.ok(restored(screen), screen);
    const process = await snapshot(server.origin, "tty-resize");
    assert.deepEqual([process.status, process.exitCode], ["killed", 130]);
    const shown = process.tail.map((line) => line.line);
    assert.deepEqual(shown.slice(0, 2), ["24 80", "40 120"]);
  });

  await t.step("keys typed in the pane reach the command", async () => {
    await using tmux = new Tmux();
    const script = `${TMUX} -L ${tmux.socket} wait-for -S ready; read line; echo "got $line"`;
    await tmux.start(runLine(server.origin, "tty-keys", script), { cols: 80, rows: 24 });
    await tmux.signalled("ready");
    await tmux.tmux("send-keys", "-t", "t", "hello", "Enter");
    const screen = await tmux.finished();
    assert.match(screen, /^got hello$/m);
    assert.match(screen, /^EXIT=0$/m);
    const process = await snapshot(server.origin, "tty-keys");
    // The typed line is on the server too when the command's terminal echoes it, as a
    // terminal shows it; with pipes it goes to the command alone.
    assert.deepEqual(
      process.tail.map((line) => line.line),
      ptys ? ["hello", "got hello"] : ["got hello"],
    );
  });

  await t.step("--no-tty, or output to a pipe, keeps two pipes", async () => {
    await using tmux = new Tmux();
    const noTty = runLine(server.origin, "tty-off", "test -t 1 && echo TTY || echo PIPE", [
      "--no-tty",
    ]);
    const piped = runLine(server.origin, "tty-piped", "test -t 1 && echo TTY || echo PIPE");
    await tmux.start(`${noTty}; ${piped} | cat`, { cols: 80, rows: 24 });
    const screen = lines(await tmux.finished());
    assert.deepEqual(screen.filter((line) => /^(TTY|PIPE)$/.test(line)), ["PIPE", "PIPE"]);
    for (const id of ["tty-off", "tty-piped"]) {
      const process = await snapshot(server.origin, id);
      assert.deepEqual(process.tail.map((line) => [line.stream, line.line]), [["stdout", "PIPE"]]);
    }
  });

  await t.step(
    "a background job (&) of an interactive shell keeps two pipes, unstopped",
    async () => {
      await using tmux = new Tmux();
      await tmux.start("bash --norc --noprofile -i", { cols: 100, rows: 30 });
      // Changing the terminal's mode from the background would stop run (SIGTTOU).
      const run = runLine(server.origin, "tty-background", "test -t 1 && echo TTY || echo PIPE");
      await tmux.tmux(
        "send-keys",
        "-t",
        "t",
        `${run} & wait $!; echo "JOB=$?"; ${TMUX} -L ${tmux.socket} wait-for -S done`,
        "Enter",
      );
      const screen = lines(await tmux.finished());
      assert.ok(screen.includes("PIPE"), screen.join("\n"));
      assert.ok(screen.includes("JOB=0"), screen.join("\n"));
      const process = await snapshot(server.origin, "tty-background");
      assert.deepEqual(process.tail.map((line) => [line.stream, line.line]), [["stdout", "PIPE"]]);
    },
  );

  await t.step("--help says when the command gets a terminal, and that Deno has none", async () => {
    const { code, stdout } = await ringsideCli({ args: ["run", "--help"] }).output();
    assert.equal(code, 0);
    const help = new TextDecoder().decode(stdout);
    assert.match(help, /--no-tty/);
    assert.match(help, /On Deno, which has\s+no pseudo-terminal, run always uses two pipes/);
  });
});
