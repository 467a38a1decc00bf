import assert from "node:assert/strict";
import type { TopicEvent } from "../progress/topic.ts";
import { RemoteTopic } from "./remote_topic.ts";

Deno.test("a remote job's spectators event reaches spectators but never greets a newcomer", () => {
  const progress = { type: "progress", data: { progress: 40 }, id: "r.1", terminal: false };
  const topic = new RemoteTopic("job", "j", {
    seq: 1,
    run: "r",
    node: "a",
    state: "running",
    ended: false,
    snapshot: { kind: "job", state: "running", spectators: 1 },
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
