import assert from "node:assert/strict";
import { Spectator } from "../sse/spectator.ts";
import type { TopicEvent } from "../progress/topic.ts";
import { ProcessTopic } from "./process_topic.ts";

function describe(events: TopicEvent[]): [string, string | null, unknown][] {
  return events.map((event) => [event.type, event.id, event.data]);
}

Deno.test("lines get seq from 1; the ring keeps the last historyLines", () => {
  const topic = new ProcessTopic("p", { historyLines: 3 });
  for (let i = 1; i <= 5; i++) topic.output(i % 2 ? "stdout" : "stderr", `l${i}`);
  assert.equal(topic.seq, 5);
  assert.deepEqual(describe(topic.greeting()), [
    ["output", "3", { seq: 3, stream: "stdout", line: "l3" }],
    ["output", "4", { seq: 4, stream: "stderr", line: "l4" }],
    ["output", "5", { seq: 5, stream: "stdout", line: "l5" }],
    ["status", "5", { status: "running", exitCode: null }],
    ["spectators", "5", { spectators: 0 }],
  ]);
  const snapshot = topic.snapshot();
  assert.equal(snapshot.lines, 5);
  assert.deepEqual(snapshot.tail.map((line) => line.seq), [3, 4, 5]);
});

Deno.test("Last-Event-ID: resume after N, a gap first when lines after N left the ring", () => {
  const topic = new ProcessTopic("p", { historyLines: 3 });
  for (let i = 1; i <= 6; i++) topic.output("stdout", `l${i}`);
  const types = (id: string) => topic.greeting({ lastEventId: id }).map((e) => e.type);
  assert.deepEqual(types("5"), ["output", "status", "spectators"]);
  assert.deepEqual(types("3"), ["output", "output", "output", "status", "spectators"]);
  assert.deepEqual(describe(topic.greeting({ lastEventId: "1" })).slice(0, 2), [
    ["gap", "3", { missed: 2 }],
    ["output", "4", { seq: 4, stream: "stdout", line: "l4" }],
  ]);
  assert.deepEqual(types("6"), ["status", "spectators"]);
  assert.deepEqual(types("99"), ["status", "spectators"]);
  // Not one of ours: the whole ring, as for a newcomer.
  assert.deepEqual(types("abc").length, 5);
});

Deno.test("dropped lines are a gap in place, and a resume inside them is told the rest", () => {
  const topic = new ProcessTopic("p", { historyLines: 10 });
  topic.output("stdout", "a");
  topic.gap(4);
  topic.output("stdout", "b");
  assert.equal(topic.seq, 6);
  assert.deepEqual(describe(topic.greeting()).slice(0, 3), [
    ["output", "1", { seq: 1, stream: "stdout", line: "a" }],
    ["gap", "5", { missed: 4 }],
    ["output", "6", { seq: 6, stream: "stdout", line: "b" }],
  ]);
  assert.deepEqual(describe(topic.greeting({ lastEventId: "3" })).slice(0, 1), [
    ["gap", "5", { missed: 2 }],
  ]);
  assert.deepEqual(topic.snapshot().tail.map((line) => line.line), ["a", "b"]);
});

Deno.test("the first final status wins; nothing after it", () => {
  const topic = new ProcessTopic("p");
  const seen: string[] = [];
  for (const type of topic.eventTypes) {
    topic.addEventListener(type, (event) => seen.push((event as TopicEvent).type));
  }
  topic.output("stdout", "x");
  assert.equal(topic.setStatus("running"), true);
  assert.equal(topic.setStatus("exited", 2), true);
  assert.equal(topic.setStatus("killed", 137), false);
  assert.equal(topic.output("stdout", "late"), false);
  assert.equal(topic.gap(3), false);
  assert.deepEqual(seen, ["output", "status"]);
  assert.deepEqual([topic.state, topic.snapshot().exitCode, topic.seq], ["exited", 2, 1]);
  const greeting = topic.greeting();
  assert.equal(greeting.at(-1)!.terminal, true);
  assert.equal(greeting.at(-1)!.id, "1.end");
  assert.equal(topic.endSeenBy("1.end"), true);
  assert.equal(topic.endSeenBy("1"), false);
});

Deno.test("an SSE spectator gets the ring then live lines, and closes after the final status", async () => {
  const topic = new ProcessTopic("p", { historyLines: 2 });
  topic.output("stdout", "one");
  topic.output("stdout", "two");
  topic.output("stdout", "three");
  const spectator = new Spectator(topic, { lastEventId: "0", latestWins: [] });
  topic.output("stderr", "four");
  topic.setStatus("failed");
  const text = await new Response(spectator.stream).text();
  const ids = [...text.matchAll(/^id: (.+)$/gm)].map((match) => match[1]);
  assert.deepEqual(ids, ["1", "2", "3", "3", "4", "4.end"]);
  assert.match(text, /^retry: 2000\n\nid: 1\nevent: gap\ndata: \{"missed":1\}\n\n/);
});

Deno.test("a spectator past maxQueueBytes gets what it holds, a comment, then the end", async () => {
  const topic = new ProcessTopic("p", { historyLines: 5 });
  topic.output("stdout", "before");
  let reason = "";
  const spectator = new Spectator(topic, {
    latestWins: [],
    maxQueueBytes: 1000,
    onClose: (why) => reason = why,
  });
  for (let i = 0; i < 1000; i++) topic.output("stdout", `line ${i}`);
  // Still there until it has sent what it holds (the tracker counts spectators, not this test).
  assert.equal(reason, "");
  const text = await new Response(spectator.stream).text();
  assert.match(text, /: too far behind: reconnect with Last-Event-ID\n\n$/);
  const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
  // The greeting (line 1, then the status with id 1), then every live line up to the cut.
  assert.deepEqual(ids.slice(0, 2), [1, 1]);
  assert.deepEqual(ids.slice(2), [...Array(ids.length - 2).keys()].map((i) => i + 2));
  assert.ok(ids.length > 5 && ids.length < 40, `${ids.length} events held`);
  assert.equal(reason, "overflow");
});

/** A running process's greeting ends with its audience count; these tests are about the ring. */
function withoutAudience(events: TopicEvent[]): TopicEvent[] {
  return events.filter((event) => event.type !== "spectators");
}

Deno.test("the ring keeps at most historyBytes of line text: older lines leave first", () => {
  const topic = new ProcessTopic("p", { historyLines: 100, historyBytes: 10 });
  for (let i = 1; i <= 5; i++) topic.output("stdout", `l${i}..`); // 4 bytes each
  assert.deepEqual(withoutAudience(topic.greeting()).map((e) => e.id), ["4", "5", "5"]);
  assert.deepEqual(topic.snapshot().tail.map((line) => line.seq), [4, 5]);
  assert.equal(topic.snapshot().lines, 5, "the count goes on");
  // Lines are counted in UTF-8: "€" is 3 bytes, so three of them leave room for nothing else.
  topic.output("stdout", "€€€");
  assert.deepEqual(topic.snapshot().tail.map((line) => line.line), ["€€€"]);
  // A caller that knows the bytes (the decoder) gives them.
  topic.output("stdout", "x", 9);
  topic.output("stdout", "y", 1);
  assert.deepEqual(topic.snapshot().tail.map((line) => line.line), ["x", "y"]);
});

Deno.test("lines that left for the byte bound are a gap for a reconnect, as for the line bound", () => {
  const topic = new ProcessTopic("p", { historyLines: 100, historyBytes: 8 });
  for (let i = 1; i <= 6; i++) topic.output("stdout", `l${i}..`);
  assert.deepEqual(describe(withoutAudience(topic.greeting({ lastEventId: "1" }))), [
    ["gap", "4", { missed: 3 }],
    ["output", "5", { seq: 5, stream: "stdout", line: "l5.." }],
    ["output", "6", { seq: 6, stream: "stdout", line: "l6.." }],
    ["status", "6", { status: "running", exitCode: null }],
  ]);
  assert.deepEqual(withoutAudience(topic.greeting({ lastEventId: "5" })).map((e) => e.id), [
    "6",
    "6",
  ]);
  // A newcomer gets what is kept, no gap (as with the line bound).
  assert.deepEqual(withoutAudience(topic.greeting()).map((e) => e.type), [
    "output",
    "output",
    "status",
  ]);
});

Deno.test("the newest line stays even when it alone is over historyBytes", () => {
  const topic = new ProcessTopic("p", { historyBytes: 4 });
  topic.output("stdout", "a");
  topic.output("stdout", "much too long");
  assert.deepEqual(topic.snapshot().tail.map((line) => line.line), ["much too long"]);
  topic.output("stdout", "b");
  assert.deepEqual(topic.snapshot().tail.map((line) => line.line), ["b"]);
});

Deno.test("100 MB without a newline: the default ring holds about 1 MiB, not 1000 pieces", () => {
  // The pen test (issue 14): 64 KiB pieces, each kept, were 64 MB of text per process.
  const piece = "x".repeat(65_536);
  const topic = new ProcessTopic("p");
  for (let i = 0; i < 1600; i++) topic.output("stdout", piece);
  const kept = topic.greeting().filter((e) => e.type === "output").length;
  assert.equal(kept, 16, "16 × 64 KiB = 1 MiB");
  // Gaps count lines, not bytes.
  topic.gap(5);
  assert.equal(topic.greeting().filter((e) => e.type === "output").length, 16);
});
