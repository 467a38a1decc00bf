import assert from "node:assert/strict";
import { RemoteTopic } from "./remote_topic.ts";
import type { TopicEvent } from "../progress/topic.ts";

/** The owner's record of a topic running on node `a`, as a node older than `eventTypes` sends it. */
function runningRecord() {
  return {
    seq: 0,
    run: "r",
    node: "a",
    state: "running",
    ended: false,
    snapshot: {},
    greeting: [],
  };
}

function processTopic(options: { historyLines?: number; historyBytes?: number }) {
  const record = { ...runningRecord(), eventTypes: ["output", "status", "gap", "spectators"] };
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

Deno.test("a remote job's spectators event reaches spectators but never greets a newcomer", () => {
  const progress = { type: "progress", data: { progress: 40 }, id: "r.1", terminal: false };
  const topic = new RemoteTopic("job", "j", {
    seq: 1,
    run: "r",
    node: "a",
    state: "running",
    ended: false,
    snapshot: { kind: "job", state: "running", spectators: 1 },
    eventTypes: ["progress", "complete", "error", "timeout", "spectators"],
    greeting: [progress],
  });
  const seen: unknown[] = [];
  topic.addEventListener("spectators", (event) => seen.push((event as TopicEvent).data));
  topic.deliver({
    seq: 2,
    run: "r",
    type: "spectators",
    data: { spectators: 2 },
    id: "r.2",
    terminal: false,
    snapshot: { kind: "job", state: "running", spectators: 2 },
    state: "running",
  });
  assert.deepEqual(seen, [{ spectators: 2 }]);
  assert.deepEqual(topic.greeting().map((event) => [event.type, event.data]), [
    ["progress", { progress: 40 }],
  ]);
  assert.equal((topic.snapshot() as { spectators: number }).spectators, 2);
});

Deno.test("a remote process's spectators event is no status", () => {
  const topic = new RemoteTopic("process", "p", {
    seq: 2,
    run: "r",
    node: "a",
    state: "running",
    ended: false,
    snapshot: { kind: "process", status: "running" },
    eventTypes: ["output", "status", "gap", "spectators"],
    greeting: [
      { type: "output", data: { seq: 1, stream: "stdout", line: "hi" }, id: "1", terminal: false },
      { type: "status", data: { status: "running", exitCode: null }, id: "1", terminal: false },
    ],
  });
  topic.deliver({
    seq: 3,
    run: "r",
    type: "spectators",
    data: { spectators: 2 },
    id: "1",
    terminal: false,
  });
  assert.deepEqual(topic.greeting().map((event) => event.type), ["output", "status"]);
});

Deno.test("a remote topic's event types are the ones its owner's record names", () => {
  const record = runningRecord();
  // A kind this node has never heard of: its spectators subscribe to what the owner says.
  const topic = new RemoteTopic("build", "b", { ...record, eventTypes: ["step", "done"] });
  assert.deepEqual(topic.eventTypes, ["step", "done"]);
  const seen: string[] = [];
  for (const type of topic.eventTypes) topic.addEventListener(type, (e) => seen.push(e.type));
  topic.deliver({ seq: 1, run: "r", type: "step", data: {}, id: "r.1", terminal: false });
  topic.deliver({ seq: 2, run: "r", type: "done", data: {}, id: "r.2", terminal: true });
  assert.deepEqual([seen, topic.ended], [["step", "done"], true]);
  // A record from a node older than the field names none: nothing is subscribed, nothing breaks.
  const old = new RemoteTopic("job", "j", record as typeof record & { eventTypes: string[] });
  assert.deepEqual(old.eventTypes, []);
});
