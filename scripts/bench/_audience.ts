// The bench's SSE audience, in its own process: COUNT readers of URL (a `?progress` stream).
// It prints `ready` once every reader got its first event, then, when every stream has closed,
// one line `report {JSON}` with the events per reader. The bench runs it under `nice -n 19`: a
// real audience reads on its own machines, so its CPU should not be taken from the relay's cores,
// while the server still writes every event to every socket (loopback buffers never fill).
//
//   deno run -A scripts/bench/_audience.ts URL COUNT

import { Spectator } from "./_harness.ts";

/** What the bench reads back from the `report` line. */
export interface AudienceReport {
  /** `progress` events per reader. */
  progress: number[];
  /** Readers that did not end with exactly one `done`. */
  missingDone: number;
  /** Readers that failed, with why. */
  errors: string[];
}

if (import.meta.main) {
  const [url, countText] = Deno.args;
  const count = Number(countText);
  if (!url || !Number.isInteger(count) || count < 1) {
    console.error("usage: deno run -A scripts/bench/_audience.ts URL COUNT");
    Deno.exit(2);
  }
  const spectators = Array.from({ length: count }, () => new Spectator(url));
  const connected = await Promise.allSettled(spectators.map((s) => s.ready));
  const refused = connected.filter((c) => c.status === "rejected").length;
  if (refused > 0) {
    console.error(`${refused} of ${count} spectators failed to connect`);
    Deno.exit(1);
  }
  console.log("ready");
  const reports = await Promise.all(spectators.map((s) => s.finished));
  const report: AudienceReport = {
    progress: reports.map((r) => r.events["progress"] ?? 0),
    missingDone: reports.filter((r) => (r.events["done"] ?? 0) !== 1).length,
    errors: reports.flatMap((r) => r.error ? [r.error] : []),
  };
  console.log(`report ${JSON.stringify(report)}`);
}
