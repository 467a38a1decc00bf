import assert from "node:assert/strict";
import { JobTopic } from "../job/job_topic.ts";
import { PipeTopic } from "../pipe/pipe_topic.ts";
import { Topic } from "../progress/topic.ts";
import { HubClient, type HubClientOptions, type HubSocket } from "./hub_client.ts";

/** Lets the client's end-of-tick flush run. */
function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A socket whose runtime buffer the test fills and empties. */
class BufferedSocket implements HubSocket {
  sent: string[] = [];
  buffered = 0;
  ended: string | null = null;
  send(text: string): void {
    this.sent.push(text);
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  close(code: number, reason: string): void {
    this.ended = `close ${code} ${reason}`;
  }
  terminate(): void {
    this.ended = "terminate";
  }
  types(): string[] {
    return this.sent.map((text) => JSON.parse(text).type);
  }
}

/** A process-like topic that emits lines. */
class Lines extends Topic {
  seq = 0;
  constructor() {
    super("process", "build", ["output", "status"]);
  }
  get state() {
    return this.ended ? "exited" : "running";
  }
  snapshot() {
    return { status: this.state, exitCode: null };
  }
  line(text: string) {
    this.emit("output", { seq: ++this.seq, stream: "stdout", line: text });
  }
  exit() {
    this.emit("status", { status: "exited", exitCode: 0 }, true);
  }
}

function client(socket: HubSocket, topic: Topic, extra: Partial<HubClientOptions> = {}) {
  let released = 0;
  const hubClient = new HubClient(socket, {
    resolve: ({ name }) => ({ topic, id: name }),
    subscribe: () => () => released++,
    private: false,
    checkToken: () => Promise.resolve("Invalid token"),
    grant: null,
    writeTimeout: 50,
    ...extra,
  });
  return { hubClient, released: () => released };
}

function waitFor(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (condition()) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
}

Deno.test("a backpressured client gets the latest snapshot, then the final one, in order", async () => {
  const socket = new BufferedSocket();
  let bytes = 0;
  const topic = new PipeTopic("p", { progressInterval: 1 });
  const { hubClient } = client(socket, topic, { writeTimeout: 10_000 });
  await hubClient.receive('{"type":"subscribe","data":"pipe:p"}');
  socket.buffered = 2 * 1024 * 1024;
  topic.wait({ receivers: 1, receiversExpected: 1, hasSender: true });
  topic.start({ bytes: () => bytes, receivers: () => 1, total: 100 });
  for (bytes = 10; bytes <= 90; bytes += 10) await new Promise((r) => setTimeout(r, 3));
  bytes = 100;
  topic.complete();
  assert.deepEqual(socket.types(), ["subscribed", "pipe_progress"]);
  socket.buffered = 0;
  await waitFor(() => socket.types().at(-1) === "unsubscribed");
  const states = socket.sent.slice(2, -1).map((text) => JSON.parse(text).data.state);
  // Every waiting snapshot collapsed into the newest, which was the final one.
  assert.deepEqual(states, ["complete"]);
  hubClient.close();
});

Deno.test("process lines wait in order while backpressured; none is dropped", async () => {
  const socket = new BufferedSocket();
  const topic = new Lines();
  const { hubClient, released } = client(socket, topic, { writeTimeout: 10_000 });
  await hubClient.receive('{"type":"subscribe","data":"process:build"}');
  socket.buffered = 2 * 1024 * 1024;
  for (let i = 1; i <= 1000; i++) topic.line(`line ${i}`);
  topic.exit();
  socket.buffered = 0;
  await waitFor(() => socket.types().at(-1) === "unsubscribed");
  const lines = socket.sent.map((text) => JSON.parse(text)).filter((m) =>
    m.type === "process_output"
  );
  assert.deepEqual(lines.map((m) => m.seq), Array.from({ length: 1000 }, (_, i) => i + 1));
  assert.equal(lines[0].processId, "build");
  assert.equal(lines[0].channel, "process:build");
  assert.equal(socket.types().at(-2), "process_status");
  assert.equal(released(), 1);
  hubClient.close();
});

Deno.test("a client whose buffer stays full is dropped; the publisher goes on", async () => {
  const socket = new BufferedSocket();
  const topic = new Lines();
  const { hubClient, released } = client(socket, topic);
  await hubClient.receive('{"type":"subscribe","data":"process:build"}');
  socket.buffered = 2 * 1024 * 1024;
  topic.line("stuck");
  await waitFor(() => socket.ended !== null);
  assert.equal(socket.ended, "terminate");
  assert.equal(released(), 1);
  for (let i = 0; i < 10; i++) topic.line("nobody listens");
  assert.equal(hubClient.subscriptions, 0);
});

Deno.test("a client more than 8 MiB behind is dropped at once", async () => {
  const socket = new BufferedSocket();
  const topic = new Lines();
  const { hubClient } = client(socket, topic, { writeTimeout: 10_000 });
  await hubClient.receive('{"type":"subscribe","data":"process:build"}');
  socket.buffered = 2 * 1024 * 1024;
  const line = "x".repeat(1000);
  for (let i = 0; i < 10_000 && socket.ended === null; i++) topic.line(line);
  assert.equal(socket.ended, "terminate");
  assert.equal(hubClient.subscriptions, 0);
});

Deno.test("an oversize frame closes with 1009 and is not handled", async () => {
  const socket = new BufferedSocket();
  const { hubClient } = client(socket, new Lines());
  await hubClient.receive(`{"type":"ping","data":"${"é".repeat(40_000)}"}`);
  assert.match(socket.ended ?? "", /^close 1009 /);
  assert.deepEqual(socket.sent, []);
});

Deno.test("unsubscribing after the topic ended the subscription answers unsubscribed", async () => {
  const socket = new BufferedSocket();
  const topic = new Lines();
  const { hubClient, released } = client(socket, topic);
  await hubClient.receive('{"type":"subscribe","data":"process:build"}');
  topic.exit();
  await tick();
  assert.deepEqual(socket.types().slice(-2), ["process_status", "unsubscribed"]);
  await hubClient.receive('{"type":"unsubscribe","data":"process:build"}');
  assert.deepEqual(JSON.parse(socket.sent.at(-1)!), {
    type: "unsubscribed",
    data: "process:build",
  });
  // Never subscribed at all: the same answer; a channel that cannot exist: an error.
  await hubClient.receive('{"type":"unsubscribe","data":"pipe:other"}');
  assert.deepEqual(JSON.parse(socket.sent.at(-1)!), { type: "unsubscribed", data: "pipe:other" });
  await hubClient.receive('{"type":"unsubscribe","data":"nonsense"}');
  const last = JSON.parse(socket.sent.at(-1)!);
  assert.equal(last.type, "error");
  assert.match(last.data, /^Invalid channel 'nonsense'/);
  assert.equal(released(), 1);
  hubClient.close();
});

Deno.test("a greeting whose events make the same message twice sends it once", async () => {
  const socket = new BufferedSocket();
  const topic = new JobTopic("j");
  topic.spectators = 1;
  const { hubClient } = client(socket, topic);
  await hubClient.receive('{"type":"subscribe","data":"job:j"}');
  assert.deepEqual(socket.types(), ["subscribed", "job_progress"]);
  assert.equal(JSON.parse(socket.sent[1]!).data.spectators, 1);
  topic.succeed({ ok: true });
  await tick();
  assert.deepEqual(socket.types().slice(2), ["job_progress", "unsubscribed"]);
  hubClient.close();
});

Deno.test("the messages of one tick are sent together, inside one cork", async () => {
  const socket = new BufferedSocket();
  const corks: number[] = [];
  const corking = Object.assign(socket, {
    cork(send: () => void) {
      const before = socket.sent.length;
      send();
      corks.push(socket.sent.length - before);
    },
  });
  const topic = new Lines();
  const { hubClient } = client(corking, topic);
  await hubClient.receive('{"type":"subscribe","data":"process:build"}');
  await tick();
  corks.length = 0;
  for (let i = 0; i < 100; i++) topic.line(`line ${i}`);
  assert.equal(socket.types().filter((type) => type === "process_output").length, 0, "not yet");
  await tick();
  assert.deepEqual(corks, [100]);
  assert.deepEqual(socket.sent.slice(-100).map((text) => JSON.parse(text).data), [
    ...Array.from({ length: 100 }, (_, i) => `line ${i}`),
  ]);
  hubClient.close();
});
