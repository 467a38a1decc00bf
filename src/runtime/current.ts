// Picks the runtime adapter this process runs on.

import type { Runtime } from "./runtime.ts";
import { type BunGlobal, bunRuntime, type NodeProcess } from "./bun.ts";
import { denoRuntime } from "./deno.ts";

/** The runtime this process runs on. */
export function currentRuntime(): Runtime {
  const global = globalThis as unknown as { Bun?: BunGlobal; process?: NodeProcess };
  if (global.Bun && global.process) return bunRuntime(global.Bun, global.process);
  return denoRuntime();
}
