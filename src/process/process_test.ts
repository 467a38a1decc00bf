import assert from "node:assert/strict";
import { HttpError } from "../http_error.ts";
import { Process } from "./process.ts";

Deno.test("an output body that breaks off is a 400, and the lines before it stand", async () => {
  const process = new Process("p");
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return controller.error(new TypeError("connection reset"));
      sent = true;
      controller.enqueue(new TextEncoder().encode("one\ntwo\n"));
    },
  });
  await assert.rejects(process.readOutput(body, "stdout"), (error) => {
    assert.ok(error instanceof HttpError);
    assert.deepEqual([error.status, error.message], [400, "Output stream ended early"]);
    return true;
  });
  assert.deepEqual(process.topic.snapshot().tail.map((line) => line.line), ["one", "two"]);
  assert.equal(process.busy, true, "the run goes on: another post may come");
  process.abort("test over");
});

Deno.test("a task whose child cannot start fails with a line that says why", () => {
  const process = new Process("t");
  process.runChild("missing-tool", () => {
    throw new Error("No such file or directory");
  });
  const { status, tail } = process.topic.snapshot();
  assert.equal(status, "failed");
  assert.deepEqual(tail.map((line) => [line.stream, line.line]), [
    ["stderr", "ringside: cannot run 'missing-tool': Error: No such file or directory"],
  ]);
  assert.equal(process.isTask, false);
});
