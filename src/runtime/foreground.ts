// Whether this process may touch its terminal: a job started with `&` may not.

import type { Runtime } from "./runtime.ts";
import { drain } from "./input.ts";

/** What {@linkcode inForeground} reads with: the runtime's own file read and spawn. */
export interface ForegroundOptions {
  readText(path: string): Promise<string>;
  spawn: Runtime["spawn"];
}

/**
 * Whether process `pid` is in the foreground of its terminal: its process group is the
 * terminal's (Linux: `/proc/PID/stat`; elsewhere `ps`); `true` when neither tells.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inForeground } from "./foreground.ts";
 * // pid (name with spaces) state ppid pgrp session tty_nr tpgid
 * const stat = (tpgid: number) => async () => `7 (a b) S 1 7 7 34816 ${tpgid} 0`;
 * const spawn = () => {
 *   throw new Error("not reached");
 * };
 * assert.equal(await inForeground(7, { readText: stat(7), spawn }), true);
 * assert.equal(await inForeground(7, { readText: stat(9), spawn }), false);
 * ```
 */
export async function inForeground(
  pid: number,
  { readText, spawn }: ForegroundOptions,
): Promise<boolean> {
  try {
    const stat = await readText(`/proc/${pid}/stat`);
    // After "pid (name) ": state ppid pgrp session tty_nr tpgid …; the name may hold spaces.
    const [, , pgrp, , , tpgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (pgrp !== undefined && tpgid !== undefined) return pgrp === tpgid;
  } catch {
    // no /proc (macOS)
  }
  try {
    const child = spawn("ps", { args: ["-o", "pgid=,tpgid=", "-p", String(pid)] });
    const [text] = await Promise.all([new Response(child.stdout).text(), drain(child.stderr)]);
    await child.status;
    const [pgrp, tpgid] = text.trim().split(/\s+/);
    if (pgrp && tpgid) return pgrp === tpgid;
  } catch {
    // no ps either
  }
  return true;
}
