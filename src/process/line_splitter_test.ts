import assert from "node:assert/strict";
import { LineDecoder, LineSplitter } from "./line_splitter.ts";

const encoder = new TextEncoder();

function split(chunks: (string | number[])[], maxLineBytes?: number): Promise<string[]> {
  const bytes = chunks.map((chunk) =>
    typeof chunk === "string" ? encoder.encode(chunk) : new Uint8Array(chunk)
  );
  const options = maxLineBytes === undefined ? {} : { maxLineBytes };
  return Array.fromAsync(ReadableStream.from(bytes).pipeThrough(new LineSplitter(options)));
}

Deno.test("lines end at \\n and \\r\\n, in any chunking", async () => {
  assert.deepEqual(await split(["a\nb\r\nc\n"]), ["a", "b", "c"]);
  assert.deepEqual(await split(["a", "\r", "\n", "b", "\n"]), ["a", "b"]);
  assert.deepEqual(await split([..."x\r\ny\n"]), ["x", "y"]);
});

Deno.test("empty lines count, a lone \\r stays, the last unterminated line is flushed", async () => {
  assert.deepEqual(await split(["\n\n"]), ["", ""]);
  assert.deepEqual(await split(["progress 10%\rprogress 20%\n"]), ["progress 10%\rprogress 20%"]);
  assert.deepEqual(await split(["no newline"]), ["no newline"]);
  assert.deepEqual(await split([]), []);
  assert.deepEqual(await split([""]), []);
});

Deno.test("UTF-8 split across chunks decodes; invalid bytes become U+FFFD", async () => {
  const euro = [...encoder.encode("€")];
  assert.deepEqual(await split([[euro[0]!], [euro[1]!, euro[2]!, 0x0a]]), ["€"]);
  assert.deepEqual(await split([[0x61, 0xff, 0x62, 0x0a]]), ["a\ufffdb"]);
  assert.deepEqual(await split([[0xe2, 0x82, 0x0a]]), ["\ufffd"]);
});

Deno.test("a line over the limit is split between characters", async () => {
  assert.deepEqual(await split(["abcdefghij\n"], 4), ["abcd", "efgh", "ij"]);
  // Arriving in small chunks: pieces are emitted before the line ends.
  assert.deepEqual(await split([..."abcdefghij"], 4), ["abcd", "efgh", "ij"]);
  // "€" is 3 bytes: never cut inside one.
  const lines = await split(["€€€€\n"], 4);
  assert.deepEqual(lines, ["€", "€", "€", "€"]);
  const big = "x".repeat(65_536 * 2 + 5);
  const parts = await split([big + "\nend\n"]);
  assert.deepEqual(parts.map((part) => part.length), [65_536, 65_536, 5, 3]);
});

Deno.test("each line is emitted as soon as its end arrives", async () => {
  let more!: (chunk: Uint8Array) => void;
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode("first\nsec"));
      more = (chunk) => controller.enqueue(chunk);
    },
  });
  const reader = source.pipeThrough(new LineSplitter()).getReader();
  assert.deepEqual(await reader.read(), { done: false, value: "first" });
  more(encoder.encode("ond\n"));
  assert.deepEqual(await reader.read(), { done: false, value: "second" });
  await reader.cancel();
});

Deno.test("cancelling the lines cancels the source with the reason", async () => {
  let cancelled: unknown = "not cancelled";
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode("one\ntwo\n"));
    },
    cancel(reason) {
      cancelled = reason;
    },
  });
  const reader = source.pipeThrough(new LineSplitter()).getReader();
  assert.equal((await reader.read()).value, "one");
  await reader.cancel("gone");
  assert.equal(cancelled, "gone");
});

Deno.test("an error of the source errors the lines", async () => {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode("one\npart"));
      controller.error(new Error("connection reset"));
    },
  });
  const reader = source.pipeThrough(new LineSplitter()).getReader();
  await assert.rejects(async () => {
    while (!(await reader.read()).done) {
      // read until the error
    }
  }, /connection reset/);
  assert.throws(() => new LineSplitter({ maxLineBytes: 0 }), RangeError);
});

Deno.test("a line of exactly the limit before \\r\\n is one line; one byte more is two", async () => {
  assert.deepEqual(await split(["abcd\r\n"], 4), ["abcd"]);
  assert.deepEqual(await split([..."abcd\r\n"], 4), ["abcd"]);
  assert.deepEqual(await split(["abcd\r\r\n"], 4), ["abcd", "\r"]);
  assert.deepEqual(await split(["abcde\r\n"], 4), ["abcd", "e"]);
  assert.deepEqual(await split([..."abcde\r\n"], 4), ["abcd", "e"]);
  assert.deepEqual(await split(["abcd\rx\n"], 4), ["abcd", "\rx"]);
  assert.deepEqual(await split(["abcdefgh\n"], 4), ["abcd", "efgh"]);
  assert.deepEqual(await split(["abcd"], 4), ["abcd"]);
  assert.deepEqual(await split(["abcd\r"], 4), ["abcd", "\r"], "no newline: the \\r is text");
});

Deno.test("the pieces of a long line are the same in any chunking", async () => {
  const text = "ab€cdé€€fgh\r\nxyz€€€€€€\n€";
  const whole = await split([text], 5);
  const euros = Array(7).fill("€");
  assert.deepEqual(whole, ["ab€", "cdé", "€", "€fg", "h", "xyz", ...euros]);
  const bytes = [...encoder.encode(text)];
  for (let size = 1; size <= 7; size++) {
    const chunks: number[][] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
    assert.deepEqual(await split(chunks, 5), whole, `chunks of ${size}`);
  }
});

Deno.test("the decoder never holds more than maxLineBytes + 1, whatever comes without a newline", () => {
  // Before, a whole chunk was copied in first: one 8 MB chunk held 8 MB.
  const decoder = new LineDecoder({ maxLineBytes: 65_536 });
  const pieces: number[] = [];
  const chunk = new Uint8Array(8 * 1024 * 1024).fill(0x78);
  for (let i = 0; i < 3; i++) {
    decoder.push(chunk, (line) => pieces.push(line.length));
    assert.ok(decoder.pendingBytes <= 65_537, String(decoder.pendingBytes));
  }
  decoder.push(new Uint8Array([0x0a]), (line) => pieces.push(line.length));
  assert.equal(decoder.pendingBytes, 0);
  assert.equal(pieces.reduce((a, b) => a + b, 0), 3 * chunk.length);
  assert.ok(pieces.every((length) => length <= 65_536 && length > 0));
  assert.equal(pieces.length, 3 * 128);
});

Deno.test("whole chunks and byte-by-byte give the same lines and byte counts, whatever the bytes", () => {
  // Seeded, so that a failure repeats: LF, CR, multi-byte and invalid bytes, long lines.
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const alphabet = [0x0a, 0x0d, 0x61, 0x62, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xff, 0x80, 0xf0, 0x9f];
  for (let round = 0; round < 300; round++) {
    const bytes = Uint8Array.from(
      { length: Math.floor(random() * 200) },
      () => alphabet[Math.floor(random() * alphabet.length)]!,
    );
    const split = (chunks: Uint8Array[]) => {
      const decoder = new LineDecoder({ maxLineBytes: 8 });
      const lines: [string, number][] = [];
      for (const chunk of chunks) decoder.push(chunk, (line, n) => lines.push([line, n]));
      decoder.end((line, n) => lines.push([line, n]));
      return lines;
    };
    const whole = split([bytes]);
    const oneByOne = split(Array.from(bytes, (byte) => Uint8Array.of(byte)));
    assert.deepEqual(whole, oneByOne, `round ${round}: ${bytes.join(",")}`);
  }
});
