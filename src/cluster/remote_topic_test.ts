import assert from "node:assert/strict";
import { RemoteTopic } from "./remote_topic.ts";

function processTopic(options: { historyLines?: number; historyBytes?: number }) {
  const record = {
    seq: 0,
    run: "r",
    node: "a",
    state: "running",
    ended: false,
    snapshot: {},
    greeting: [],
  };
  const topic = new RemoteTopic("process", "p", record, options);
  let seq = 0;
  const line = (text: string) => {
    seq++;
    topic.deliver({
      seq,
      run: "r",
      type: "output",
      data: { seq, stream: "stdout", line: text },
      id: String(seq),
      terminal: false,
    });
  };
  const kept = () => topic.greeting().map((event) => (event.data as { line: string }).line);
  return { line, kept };
}

Deno.test("a remote process keeps its last lines within historyLines and historyBytes", () => {
  const byLines = processTopic({ historyLines: 2 });
  for (const text of ["a", "b", "c"]) byLines.line(text);
  assert.deepEqual(byLines.kept(), ["b", "c"]);
  const byBytes = processTopic({ historyBytes: 8 });
  for (const text of ["l1..", "l2..", "l3..", "€€€"]) byBytes.line(text);
  assert.deepEqual(byBytes.kept(), ["€€€"], "9 bytes: the newest line stays alone");
  byBytes.line("xy");
  assert.deepEqual(byBytes.kept(), ["xy"]);
  byBytes.line("zw");
  assert.deepEqual(byBytes.kept(), ["xy", "zw"]);
});

Deno.test("a remote process fed 100 MB without a newline keeps about 1 MiB by default", () => {
  const topic = processTopic({});
  const piece = "x".repeat(65_536);
  for (let i = 0; i < 1600; i++) topic.line(piece);
  assert.equal(topic.kept().length, 16);
});
