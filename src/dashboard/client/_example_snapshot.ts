import type { JobSnapshot, PipeSnapshot, ProcessSnapshot } from "../../progress/snapshot.ts";

/** A streaming snapshot of the pipe `migration` at 61.8 %, with `overrides` applied. */
export function exampleSnapshot(overrides: Partial<PipeSnapshot>): PipeSnapshot {
  return {
    kind: "pipe",
    name: "migration",
    state: "streaming",
    receivers: 1,
    receiversExpected: 1,
    bytes: 5_046_464_512,
    total: 8_160_000_000,
    percent: 61.8,
    bytesPerSec: 118_000_000,
    mbps: 118,
    etaSec: 26,
    startedAt: "2026-11-22T10:00:00.000Z",
    updatedAt: "2026-11-22T10:00:42.700Z",
    durationSec: 42.7,
    spectators: 5,
    error: null,
    ...overrides,
  };
}

/** The running job `transcode-42` at 40 %, with `overrides` applied. */
export function exampleJob(overrides: Partial<JobSnapshot>): JobSnapshot {
  return {
    kind: "job",
    id: "transcode-42",
    state: "running",
    data: { state: "transcribing", progress: 40, estimated_time: 71, message: "chunk 4/10" },
    result: null,
    error: null,
    startedAt: "2026-11-22T10:00:00.000Z",
    updatedAt: "2026-11-22T10:00:30.000Z",
    durationSec: 30,
    spectators: 3,
    ...overrides,
  };
}

/** The running process `build-1` with three lines (one on stderr), with `overrides` applied. */
export function exampleProcess(overrides: Partial<ProcessSnapshot>): ProcessSnapshot {
  return {
    kind: "process",
    id: "build-1",
    status: "running",
    exitCode: null,
    lines: 3,
    startedAt: "2026-11-22T10:00:00.000Z",
    updatedAt: "2026-11-22T10:00:09.000Z",
    durationSec: 9,
    spectators: 2,
    tail: [
      { seq: 1, stream: "stdout", line: "\u001b[1mBuilding\u001b[0m ringside" },
      { seq: 2, stream: "stdout", line: "\u001b[32m✓\u001b[0m compiled 42 files" },
      { seq: 3, stream: "stderr", line: "\u001b[33mwarning:\u001b[0m unused variable" },
    ],
    ...overrides,
  };
}
