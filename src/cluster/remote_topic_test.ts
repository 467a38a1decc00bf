import assert from "node:assert/strict";
import { RemoteTopic } from "./remote_topic.ts";
import type { TopicEvent } from "../progress/topic.ts";
import type { Replay } from "../progress/replay.ts";
import { ProcessTopic } from "../process/process_topic.ts";
import type { WireRecord } from "./wire.ts";

const PROCESS_REPLAY: Replay = new ProcessTopic("p").replay;

/** A record of run `r` on node `a`, running, with `fields` on top. */
function record(fields: Partial<WireRecord> = {}): WireRecord {
  return {
    seq: 0,
    run: "r",
    node: "a",
    state: "running",
    ended: false,
    snapshot: {},
    eventTypes: [],
    greeting: [],
    ...fields,
  };
}

function processTopic(options: { historyLines?: number; historyBytes?: number }) {
  const topic = new RemoteTopic(
    "process",
    "p",
    record({ eventTypes: ["output", "status", "gap", "spectators"], replay: PROCESS_REPLAY }),
    options,
  );
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
  const topic = new RemoteTopic(
    "job",
    "j",
    record({
      seq: 1,
      snapshot: { kind: "job", state: "running", spectators: 1 },
      eventTypes: ["progress", "complete", "error", "timeout", "spectators"],
      greeting: [progress],
    }),
  );
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
  const topic = new RemoteTopic(
    "process",
    "p",
    record({
      seq: 2,
      snapshot: { kind: "process", status: "running" },
      eventTypes: ["output", "status", "gap", "spectators"],
      replay: PROCESS_REPLAY,
      greeting: [
        {
          type: "output",
          data: { seq: 1, stream: "stdout", line: "hi" },
          id: "1",
          terminal: false,
        },
        { type: "status", data: { status: "running", exitCode: null }, id: "1", terminal: false },
      ],
    }),
  );
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
  // A kind this node has never heard of: its spectators subscribe to what the owner says.
  const topic = new RemoteTopic("build", "b", record({ eventTypes: ["step", "done"] }));
  assert.deepEqual(topic.eventTypes, ["step", "done"]);
  const seen: string[] = [];
  for (const type of topic.eventTypes) topic.addEventListener(type, (e) => seen.push(e.type));
  topic.deliver({ seq: 1, run: "r", type: "step", data: {}, id: "r.1", terminal: false });
  topic.deliver({ seq: 2, run: "r", type: "done", data: {}, id: "r.2", terminal: true });
  assert.deepEqual([seen, topic.ended], [["step", "done"], true]);
  // A record from a node older than the field names none: nothing is subscribed, nothing breaks.
  const { eventTypes: _, ...older } = record();
  const old = new RemoteTopic("job", "j", older as WireRecord);
  assert.deepEqual(old.eventTypes, []);
});

Deno.test("a remote topic replays as its owner's record says, whatever the kind", () => {
  // A kind this node has never heard of: a backlog of `line` events, then the newest `phase`.
  const topic = new RemoteTopic(
    "deploy",
    "d",
    record({
      snapshot: { state: "running" },
      eventTypes: ["line", "phase", "spectators", "done"],
      replay: { backlog: ["line"], greetAs: "phase", snapshot: "data" },
    }),
  );
  const send = (seq: number, type: string, data: unknown, terminal = false) =>
    topic.deliver({ seq, run: "r", type, data, id: `r.${seq}`, terminal });
  send(1, "line", { line: "one" });
  send(2, "phase", { state: "building" });
  send(3, "line", { line: "two" });
  send(4, "spectators", { spectators: 2 });
  send(5, "status", { state: "pushing" });
  assert.deepEqual(topic.greeting().map((event) => [event.type, event.data]), [
    ["line", { line: "one" }],
    ["line", { line: "two" }],
    ["phase", { state: "pushing" }],
  ]);
  assert.deepEqual([topic.state, topic.snapshot()], ["pushing", { state: "pushing" }]);
  send(6, "done", { state: "done" }, true);
  assert.deepEqual(topic.greeting().map((event) => event.type), ["line", "line", "done"]);
});

Deno.test("a record from a node older than the replay field greets with the newest event", () => {
  const topic = new RemoteTopic(
    "pipe",
    "p",
    record({
      seq: 1,
      state: "waiting",
      snapshot: { state: "waiting" },
      eventTypes: ["state", "progress", "done", "error"],
      greeting: [{ type: "state", data: { state: "waiting" }, id: "r.1", terminal: false }],
    }),
  );
  const progress = { state: "streaming", bytes: 5 };
  topic.deliver({ seq: 2, run: "r", type: "progress", data: progress, id: "r.2", terminal: false });
  assert.deepEqual(topic.greeting().map((event) => [event.type, event.data]), [
    ["progress", progress],
  ]);
  // Its events bring no snapshot: the record's stands until the next record read.
  assert.deepEqual([topic.state, topic.snapshot()], ["waiting", { state: "waiting" }]);
});
