import type { PipeSnapshot } from "../../progress/snapshot.ts";

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
