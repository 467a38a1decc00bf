import assert from "node:assert/strict";
import { LineBuffer, type TerminalEntry } from "./line_buffer.ts";
import type { ProcessLine } from "../../progress/snapshot.ts";

function line(
  seq: number,
  stream: "stdout" | "stderr" = "stdout",
  text = `line ${seq}`,
): ProcessLine {
  return { seq, stream, line: text };
}

function shown(entries: readonly TerminalEntry[]): string[] {
  return entries.map((e) => (e.stream === "gap" ? `gap ${e.missed}` : String(e.seq)));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

Deno.test("LineBuffer drops lines it already has: the tail, then the server's history again", () => {
  const buffer = new LineBuffer();
  for (const seq of range(901, 1000)) buffer.add(line(seq)); // the embedded tail
  assert.equal(buffer.earlier, 900);
  // On connect the server sends its last 1,000 lines, then live ones.
  let added = 0;
  for (const seq of range(1, 1002)) if (buffer.add(line(seq))) added++;
  assert.equal(added, 902);
  assert.deepEqual(shown(buffer.entries), range(1, 1002).map(String));
  assert.equal(buffer.earlier, 0);
  assert.equal(buffer.lastSeq, 1002);
  // A reconnect replays some of them once more.
  for (const seq of range(950, 1002)) assert.equal(buffer.add(line(seq)), false);
  assert.equal(buffer.entries.length, 1002);
});

Deno.test("LineBuffer puts a gap event's marker at the end and does not count it twice", () => {
  const buffer = new LineBuffer();
  for (const seq of range(1, 3)) buffer.add(line(seq));
  const version = buffer.version;
  // A resume whose lines were already dropped from the server's ring: gap, then line 11.
  buffer.gap(7);
  assert.notEqual(buffer.version, version);
  buffer.add(line(11));
  assert.deepEqual(shown(buffer.entries), ["1", "2", "3", "gap 7", "11"]);
  // A gap for lines that never got a number (dropped by `ringside run`): no skip follows.
  buffer.gap(5);
  buffer.add(line(12));
  assert.deepEqual(shown(buffer.entries), ["1", "2", "3", "gap 7", "11", "gap 5", "12"]);
  buffer.gap(0);
  buffer.gap(Number.NaN);
  assert.equal(buffer.entries.length, 7);
});

Deno.test("LineBuffer marks numbers skipped without a gap event, but not before the first line", () => {
  const buffer = new LineBuffer();
  buffer.add(line(40));
  buffer.add(line(41));
  buffer.add(line(45));
  assert.deepEqual(shown(buffer.entries), ["40", "41", "gap 3", "45"]);
  assert.equal(buffer.earlier, 39);
  // A late line inside the hole stays out: its marker already counts it.
  assert.equal(buffer.add(line(43)), false);
  // Bad numbers are ignored.
  assert.equal(buffer.add(line(0)), false);
  assert.equal(buffer.add(line(2.5)), false);
  assert.equal(buffer.add({ seq: "7" } as unknown as ProcessLine), false);
});

Deno.test("LineBuffer keeps at most maxEntries rows, dropping the oldest in batches", () => {
  const buffer = new LineBuffer({ maxEntries: 50_000 });
  for (const seq of range(1, 120_000)) buffer.add(line(seq));
  assert.ok(buffer.entries.length <= 51_000, `${buffer.entries.length} rows`);
  assert.ok(buffer.entries.length >= 50_000);
  assert.equal(buffer.entries.at(-1)?.seq, 120_000);
  assert.equal(buffer.earlier, 120_000 - buffer.entries.length);
  // Old history cannot push out newer lines.
  assert.equal(buffer.add(line(5)), false);
  const small = new LineBuffer({ maxEntries: 10 });
  for (const seq of range(1, 100)) small.add(line(seq));
  assert.ok(small.entries.length <= 11);
  assert.equal(small.indexOf(100), small.entries.length - 1);
});

Deno.test("LineBuffer carries each stream's colour to its next line, not the other stream's", () => {
  const buffer = new LineBuffer();
  buffer.add(line(1, "stdout", "\u001b[32mgreen starts"));
  buffer.add(line(2, "stderr", "plain error"));
  buffer.add(line(3, "stdout", "still green\u001b[0m"));
  buffer.add(line(4, "stdout", "plain again"));
  const styles = buffer.entries.map((e) => (e.stream === "gap" ? null : e.style.fg));
  assert.deepEqual(styles, [null, null, 2, null]);
  assert.deepEqual(buffer.entries.map((e) => e.stream), ["stdout", "stderr", "stdout", "stdout"]);
});

Deno.test("LineBuffer finds a line's row after rows were dropped, for the scroll anchor", () => {
  const buffer = new LineBuffer({ maxEntries: 100 });
  for (const seq of range(1, 100)) buffer.add(line(seq));
  assert.equal(buffer.indexOf(60), 59);
  for (const seq of range(101, 250)) buffer.add(line(seq));
  const first = buffer.entries[0]!.seq;
  assert.equal(buffer.indexOf(200), 200 - first);
});

Deno.test("LineBuffer keeps at most maxChars characters, whatever the line count", () => {
  const buffer = new LineBuffer({ maxChars: 1_000_000 });
  const long = "x".repeat(65_536);
  for (let seq = 1; seq <= 100; seq++) buffer.add(line(seq, "stdout", long));
  const chars = buffer.entries.reduce((n, e) => n + (e.stream === "gap" ? 0 : e.line.length), 0);
  assert.ok(chars <= 1_000_000, `${chars} characters kept`);
  assert.ok(buffer.entries.length >= 13, `${buffer.entries.length} rows`);
  assert.equal(buffer.entries.at(-1)?.seq, 100);
  assert.equal(buffer.earlier, 100 - buffer.entries.length);
  // One line bigger than the budget still shows: the newest row is never dropped.
  const tiny = new LineBuffer({ maxChars: 10 });
  tiny.add(line(1, "stdout", "a".repeat(50)));
  assert.equal(tiny.entries.length, 1);
});
