import assert from "node:assert/strict";
import { MAX_JSON_DEPTH, nestingDepth, readJsonObject } from "./json_body.ts";
import { HttpError } from "../http_error.ts";

const encoder = new TextEncoder();

/** A body of `chunks` that records how many it handed out and whether it was cancelled. */
function recordingBody(chunks: string[]) {
  const record = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[record.pulled++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(encoder.encode(chunk));
    },
    cancel() {
      record.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { body, record };
}

function post(body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Request {
  return new Request("http://h/", { method: "POST", body, headers, duplex: "half" } as RequestInit);
}

async function status(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    assert.ok(error instanceof HttpError, String(error));
    return error.status;
  }
}

Deno.test("a chunked body is cancelled at the first chunk past the limit", async () => {
  const { body, record } = recordingBody(['{"a":"', "x".repeat(60), "x".repeat(60), '"}']);
  assert.equal(await status(readJsonObject(post(body), 100)), 413);
  assert.equal(record.cancelled, true);
  assert.equal(record.pulled, 3, "nothing read after the chunk that passed the limit");
});

Deno.test("a Content-Length over the limit is refused before a byte is read", async () => {
  const { body, record } = recordingBody(["{}"]);
  const request = post(body, { "content-length": "101" });
  assert.equal(await status(readJsonObject(request, 100)), 413);
  assert.equal(record.pulled, 0);
});

Deno.test("exactly the limit is accepted; whitespace is an empty body", async () => {
  const json = JSON.stringify({ pad: "y".repeat(90) });
  assert.equal(json.length, 100);
  const { body } = recordingBody([json.slice(0, 50), json.slice(50)]);
  assert.deepEqual(await readJsonObject(post(body), 100), { pad: "y".repeat(90) });
  assert.equal(await readJsonObject(post(recordingBody([" \n\t"]).body), 100), null);
});

Deno.test("invalid UTF-8, invalid JSON and non-objects are 400", async () => {
  const invalid = new Request("http://h/", {
    method: "POST",
    body: new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]),
  });
  await assert.rejects(readJsonObject(invalid, 100), /not valid UTF-8/);
  for (const text of ["{", "nul", "null", "[]", "1", '"s"', "true"]) {
    assert.equal(await status(readJsonObject(post(recordingBody([text]).body), 100)), 400, text);
  }
});

Deno.test("a body that breaks off mid-way is 400 with a line, not an internal error", async () => {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) {
        return controller.error(new DOMException("The connection was closed.", "AbortError"));
      }
      sent = true;
      controller.enqueue(encoder.encode('{"progress":'));
    },
  }, { highWaterMark: 0 });
  const error = await readJsonObject(post(body), 100).then(() => null, (error) => error);
  assert.ok(error instanceof HttpError, String(error));
  assert.equal(error.status, 400);
  assert.equal(error.message, "Body ended before it was complete (the client went away)");
});

Deno.test("nesting deeper than MAX_JSON_DEPTH is 400 naming the limit; the limit itself is accepted", async () => {
  const nested = (levels: number) => `{"a":${"[".repeat(levels - 1)}${"]".repeat(levels - 1)}}`;
  const limit = nested(MAX_JSON_DEPTH);
  assert.equal(nestingDepth(limit), MAX_JSON_DEPTH);
  const value = await readJsonObject(post(recordingBody([limit]).body), 100_000);
  assert.ok(value !== null && Array.isArray(value.a));
  const error = await readJsonObject(
    post(recordingBody([nested(MAX_JSON_DEPTH + 1)]).body),
    100_000,
  )
    .then(() => null, (error) => error);
  assert.ok(error instanceof HttpError, String(error));
  assert.equal(error.status, 400);
  assert.equal(error.message, `Body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`);
});

Deno.test("a pen-test body 30,000 levels deep is refused without a stack overflow", async () => {
  // 60 KB: under --max-event-bytes, and deep enough to blow a recursive check.
  const deep = `{"a":${"[".repeat(30_000)}${"]".repeat(30_000)}}`;
  assert.equal(await status(readJsonObject(post(recordingBody([deep]).body), 65_536)), 400);
  // Objects count as arrays do, and unclosed brackets count too (no parse is needed to refuse).
  const objects = `${'{"a":'.repeat(100)}1${"}".repeat(100)}`;
  assert.equal(await status(readJsonObject(post(recordingBody([objects]).body), 65_536)), 400);
  assert.equal(nestingDepth("[".repeat(100_000)), 100_000);
});

Deno.test("nestingDepth() counts brackets outside strings only, escapes included", () => {
  assert.equal(nestingDepth('{"k[{":"v]}"}'), 1);
  assert.equal(nestingDepth(String.raw`{"k":"a\"[[[[\\","l":[[]]}`), 3);
  assert.equal(nestingDepth(String.raw`{"k":"\\"}`), 1);
  assert.equal(nestingDepth("[{},{},[{}]]"), 3);
  assert.equal(nestingDepth(""), 0);
  assert.equal(nestingDepth('"[[["'), 0);
});

Deno.test("a hint follows the message of every 400, never of a 413", async () => {
  const hint = 'Example: {"status":"exited"}';
  for (
    const text of ["{", "[]", `{"a":${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}}`]
  ) {
    await assert.rejects(
      readJsonObject(post(recordingBody([text]).body), 1000, { hint }),
      (error: HttpError) => error.status === 400 && error.message.endsWith(` ${hint}`),
      text,
    );
  }
  await assert.rejects(
    readJsonObject(post(recordingBody(["x".repeat(101)]).body), 100, { hint }),
    (error: HttpError) => error.status === 413 && !error.message.includes(hint),
  );
});
