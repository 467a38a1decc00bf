import assert from "node:assert/strict";
import { StatusLine } from "./status_line.ts";

function recorder(tty: boolean) {
  const writes: string[] = [];
  let now = 0;
  const line = new StatusLine({
    tty,
    write: (text) => {
      writes.push(text);
      return Promise.resolve();
    },
    now: () => now,
  });
  return { line, writes, setNow: (ms: number) => now = ms };
}

/** Off a TTY: `10%` printed at 0 ms, then `next` at `ms`, before its second is up: pending. */
async function pendingAt(ms: number, next: string) {
  const recorded = recorder(false);
  await recorded.line.update("10%");
  recorded.setNow(ms);
  await recorded.line.update(next);
  return recorded;
}

Deno.test("StatusLine on a TTY redraws in place at every update and ends with a newline", async () => {
  const { line, writes } = recorder(true);
  await line.update("1%");
  await line.update("2%");
  await line.finish("100%");
  assert.deepEqual(writes, ["\r1%\x1b[K", "\r2%\x1b[K", "\r100%\x1b[K\n"]);
});

Deno.test("StatusLine on a TTY: finish without a line only ends the drawn one", async () => {
  const { line, writes } = recorder(true);
  await line.finish();
  assert.deepEqual(writes, []);
  await line.update("50%");
  await line.finish();
  assert.deepEqual(writes, ["\r50%\x1b[K", "\n"]);
});

Deno.test("StatusLine off a TTY prints a pending line when its second is up", async () => {
  const { line, writes } = await pendingAt(100, "20%");
  assert.deepEqual(writes, ["10%\n"]);
  // The timer is real: wait for the pending line itself, not for a fixed time.
  while (writes.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(writes, ["10%\n", "20%\n"]);
  await line.finish("20%"); // already printed: not repeated
  assert.deepEqual(writes, ["10%\n", "20%\n"]);
});

Deno.test("StatusLine off a TTY: finish drops the pending line for the final one", async () => {
  const { line, writes } = await pendingAt(10, "11%");
  await line.finish("100%");
  assert.deepEqual(writes, ["10%\n", "100%\n"]);
});

Deno.test("StatusLine shows a line's text only: no sequence of its own reaches the output", async () => {
  const hostile = "50%\x1b]52;c;cm0gLXJmIH4K\x07 \x1b[2J\x1b[31mred\x1b[0m\tcopy\x9b6n\n";
  const terminal = recorder(true);
  await terminal.line.update(hostile);
  await terminal.line.finish(hostile);
  assert.deepEqual(terminal.writes, ["\r50% red copy \x1b[K", "\r50% red copy \x1b[K\n"]);
  const piped = recorder(false);
  await piped.line.update(hostile);
  await piped.line.finish("done\x1b[2J");
  assert.deepEqual(piped.writes, ["50% red copy \n", "done\n"]);
  assert.ok(!piped.writes.join("").includes("\x1b"), "no ESC at all off a terminal");
});
