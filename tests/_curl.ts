/** A curl process started by {@linkcode curl}. */
export interface Curl {
  /** Exit code and what curl printed. */
  readonly result: Promise<{ code: number; stdout: string; stderr: string }>;
  /** Writes to curl's stdin (for `-T -`). */
  readonly stdin: WritableStreamDefaultWriter<Uint8Array>;
  kill(): void;
}

/** Runs `curl -sS ARGS…` with piped stdin, stdout and stderr. */
export function curl(...args: string[]): Curl {
  const child = new Deno.Command("curl", {
    args: ["-sS", ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const decode = (stream: ReadableStream<Uint8Array>) => new Response(stream).text();
  const stdout = decode(child.stdout);
  const stderr = decode(child.stderr);
  const stdin = child.stdin.getWriter();
  return {
    stdin,
    result: child.status.then(async (status) => ({
      code: status.code,
      stdout: await stdout,
      stderr: await stderr,
    })),
    kill: () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
    },
  };
}

/** The SHA-256 of a file or bytes, hex. */
export async function sha256(input: string | Uint8Array): Promise<string> {
  const bytes = typeof input === "string" ? await Deno.readFile(input) : input;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Bytes that do not compress and differ at every position (a cheap xorshift). */
export function noise(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  const words = new Uint32Array(bytes.buffer, 0, Math.floor(size / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}
