/**
 * Sending to and receiving from a pipe in the browser, with progress.
 *
 * Sending streams the body with `fetch` (`duplex: "half"`) where the browser supports request
 * streams and the page came over HTTP/2 or later (Chromium refuses streamed uploads on
 * HTTP/1.1); otherwise it is a plain `XMLHttpRequest` upload, whose upload events give the
 * progress and which reads a file from disk as it goes. Receiving reads the response body as
 * a stream and counts the chunks.
 *
 * @module
 */

/** Progress callback: bytes so far, and the total when known. */
export type OnProgress = (bytes: number, total: number | null) => void;

/** Options for {@linkcode sendToPipe}. */
export interface SendOptions {
  /** The pipe URL (`/api/v1/pipe/NAME`). */
  url: string;
  body: Blob;
  /** The file name receivers are offered (`Content-Disposition`). */
  fileName?: string;
  onProgress: OnProgress;
  signal: AbortSignal;
}

/** The sender's response: its status and its text lines. */
export interface SendResult {
  status: number;
  text: string;
  /** How the body was sent. */
  method: "stream" | "upload";
}

/**
 * Sends `body` as the pipe's sender. `?size=` carries the total, so spectators see a
 * percentage even when the body is streamed without a `Content-Length`. Rejects with an
 * `AbortError` when `signal` aborts; a non-2xx answer resolves (its text says why).
 *
 * @example
 * ```ts ignore
 * const result = await sendToPipe({ url: "/api/v1/pipe/x", body: file, onProgress, signal });
 * ```
 */
export function sendToPipe(options: SendOptions): Promise<SendResult> {
  const url = `${options.url}?size=${options.body.size}`;
  const headers: Record<string, string> = {
    "Content-Type": options.body.type || "application/octet-stream",
  };
  if (options.fileName) headers["Content-Disposition"] = contentDisposition(options.fileName);
  return supportsRequestStreams()
    ? streamUpload({ ...options, url, headers })
    : xhrUpload({ ...options, url, headers });
}

async function streamUpload(
  options: SendOptions & { headers: Record<string, string> },
): Promise<SendResult> {
  const total = options.body.size;
  let sent = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      sent += chunk.byteLength;
      options.onProgress(sent, total);
      controller.enqueue(chunk);
    },
  });
  const response = await fetch(options.url, {
    method: "PUT",
    headers: options.headers,
    body: options.body.stream().pipeThrough(counter),
    signal: options.signal,
    duplex: "half",
  } as RequestInit);
  return { status: response.status, text: await response.text(), method: "stream" };
}

function xhrUpload(
  options: SendOptions & { headers: Record<string, string> },
): Promise<SendResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", options.url);
    for (const [name, value] of Object.entries(options.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener("progress", (event) => {
      options.onProgress(event.loaded, event.lengthComputable ? event.total : options.body.size);
    });
    xhr.addEventListener("load", () => {
      resolve({ status: xhr.status, text: xhr.responseText, method: "upload" });
    });
    xhr.addEventListener(
      "error",
      () => reject(new TypeError("The connection to the server failed")),
    );
    xhr.addEventListener(
      "abort",
      () => reject(new DOMException("Sending was cancelled", "AbortError")),
    );
    options.signal.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(options.body);
  });
}

let requestStreams: boolean | undefined;

/**
 * Whether `fetch` can stream this page's request bodies: the browser supports request streams
 * (the feature test from the Fetch spec's `duplex` option) and the page's connection is HTTP/2
 * or HTTP/3.
 */
export function supportsRequestStreams(): boolean {
  if (requestStreams !== undefined) return requestStreams;
  let duplexAccessed = false;
  let supported = false;
  try {
    const hasContentType = new Request("data:,", {
      body: new ReadableStream(),
      method: "POST",
      get duplex() {
        duplexAccessed = true;
        return "half";
      },
    } as RequestInit).headers.has("Content-Type");
    supported = duplexAccessed && !hasContentType;
  } catch {
    supported = false;
  }
  const navigation = performance.getEntriesByType("navigation")[0] as
    | PerformanceNavigationTiming
    | undefined;
  const protocol = navigation?.nextHopProtocol ?? "";
  requestStreams = supported && (protocol === "h2" || protocol === "h3");
  return requestStreams;
}

/** Options for {@linkcode receiveFromPipe}. */
export interface ReceiveOptions {
  url: string;
  onProgress: OnProgress;
  /** Called once the sender is connected and the response headers are in. */
  onStart?: (response: Response) => void;
  signal: AbortSignal;
}

/** What a receiver got. */
export type ReceiveResult =
  | { ok: true; blob: Blob; fileName: string | null }
  | { ok: false; status: number; text: string };

/**
 * Receives from a pipe into a `Blob`, counting bytes as they arrive. A transfer the sender
 * broke off rejects (the server errors the body rather than ending it).
 */
export async function receiveFromPipe(options: ReceiveOptions): Promise<ReceiveResult> {
  const response = await fetch(options.url, { signal: options.signal });
  if (!response.ok || response.body === null) {
    return { ok: false, status: response.status, text: await response.text() };
  }
  options.onStart?.(response);
  const length = response.headers.get("Content-Length");
  const total = length === null ? null : Number(length);
  const chunks: Uint8Array[] = [];
  let received = 0;
  options.onProgress(0, total);
  const reader = response.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.byteLength;
    options.onProgress(received, total);
  }
  const type = response.headers.get("Content-Type") ?? "application/octet-stream";
  return {
    ok: true,
    blob: new Blob(chunks as BlobPart[], { type }),
    fileName: fileNameOf(response.headers.get("Content-Disposition")),
  };
}

/**
 * A `Content-Disposition` header that offers `name` for download, ASCII fallback included.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { contentDisposition } from "./transfer.ts";
 * assert.equal(
 *   contentDisposition("résumé.pdf"),
 *   `attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
 * );
 * ```
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * The file name in a `Content-Disposition` header (`filename*` preferred), or `null`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { contentDisposition, fileNameOf } from "./transfer.ts";
 * assert.equal(fileNameOf(contentDisposition("résumé.pdf")), "résumé.pdf");
 * assert.equal(fileNameOf('attachment; filename="a.txt"'), "a.txt");
 * assert.equal(fileNameOf(null), null);
 * ```
 */
export function fileNameOf(header: string | null): string | null {
  if (header === null) return null;
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (extended) {
    try {
      return safeFileName(decodeURIComponent(extended[1]!.trim()));
    } catch {
      // malformed: fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
  return plain ? safeFileName(plain[1]!.trim()) : null;
}

function safeFileName(name: string): string | null {
  const base = name.split(/[/\\]/).pop() ?? "";
  return base === "" || base === "." || base === ".." ? null : base;
}
