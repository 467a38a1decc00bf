/**
 * The front page (browser entry): what ringside is, the curl lines for this server, and
 * forms to send to, receive from and watch a pipe.
 *
 * @module
 */

import { render, type VNode } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { pipeCommands, pipePath, randomPipeName } from "./commands.ts";
import { formatBytes, formatDuration, formatPercent, formatSpeed } from "./format.ts";
import { receiveFromPipe, sendToPipe } from "./transfer.ts";
import { CopyLine, ProgressBar } from "./_components.ts";
import { html } from "./_html.ts";

function Front(): VNode {
  const [name, setName] = useState(randomPipeName);
  const origin = location.origin;
  const commands = pipeCommands(origin, name || "NAME");
  return html`
    <main class="page front">
      <header class="hero">
        <h1 class="brand">ringside</h1>
        <p>
          Send bytes from one machine to another through this server with plain HTTP: curl on both
          sides.
        </p>
        <p>Nothing is stored: the bytes flow from the sender to the receivers as they arrive.</p>
        <p>Anyone can watch a transfer live by adding <code>?progress</code> to the pipe's URL.</p>
      </header>

      <section class="card">
        <label class="field" for="pipe-name">Pipe name</label>
        <div class="row">
          <input
            id="pipe-name"
            name="pipe"
            data-testid="pipe-name"
            value="${name}"
            onInput="${(e: Event) => setName((e.currentTarget as HTMLInputElement).value.trim())}"
            autocomplete="off"
            autocapitalize="off"
            spellcheck="${false}"
          />
          <button type="button" class="secondary" onClick="${() =>
            setName(randomPipeName())}">New name</button>
        </div>
        <p class="hint">Pick any name; both sides use the same one. It is the pipe's only secret.</p>
      </section>

      <section class="card">
        <h2>From a terminal</h2>
        <${CopyLine} label="Send a file" command="${commands.send}" testId="cmd-send" />
        <${CopyLine} label="Receive it" command="${commands.receive}" testId="cmd-receive" />
        <${CopyLine} label="Watch it (Server-Sent Events)" command="${commands
          .events}" testId="cmd-events" />
        <p><a href="${`${pipePath(name || "NAME")}?progress`}">Open the dashboard of ${name ||
          "NAME"}</a></p>
      </section>

      <${SendPanel} name="${name}" />
      <${ReceivePanel} name="${name}" />
      <${WatchPanel} name="${name}" />
    </main>
  `;
}

/** The phases of a browser transfer. */
type Phase = "ready" | "running" | "done" | "failed";

interface TransferState {
  phase: Phase;
  bytes: number;
  total: number | null;
  startedAt: number;
  message: string;
}

const readyState: TransferState = {
  phase: "ready",
  bytes: 0,
  total: null,
  startedAt: 0,
  message: "",
};

function useTransfer() {
  const [state, setState] = useState<TransferState>(readyState);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  function start(message: string): AbortSignal {
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setState({ phase: "running", bytes: 0, total: null, startedAt: Date.now(), message });
    return controller.signal;
  }
  function progress(bytes: number, total: number | null, message?: string) {
    setState((s) => ({ ...s, bytes, total, message: message ?? s.message }));
  }
  function finish(phase: "done" | "failed", message: string) {
    abort.current = null;
    setState((s) => ({ ...s, phase, message }));
  }
  function cancel() {
    abort.current?.abort();
  }
  return { state, start, progress, finish, cancel };
}

function TransferProgress(props: { state: TransferState; label: string; testId: string }): VNode {
  const { phase, bytes, total, startedAt, message } = props.state;
  if (phase === "ready") {
    return html`
      <div class="transfer" data-testid="${props.testId}" data-phase="ready"></div>
    `;
  }
  const percent = phase === "done"
    ? 100
    : total !== null && total > 0
    ? (bytes / total) * 100
    : total === 0
    ? 0
    : null;
  const seconds = Math.max(0.001, (Date.now() - startedAt) / 1000);
  const amount = total !== null
    ? `${formatBytes(bytes)} of ${formatBytes(total)}`
    : formatBytes(bytes);
  const tone = phase === "failed" ? "failed" : phase === "done" ? "ok" : "active";
  return html`
    <div class="transfer" data-testid="${props.testId}" data-phase="${phase}">
      <${ProgressBar}
        value="${percent}"
        label="${props.label}"
        valueText="${percent === null
          ? `${amount} so far`
          : `${formatPercent(percent)}, ${amount}`}"
        tone="${tone}"
      />
      <p class="bytes">
        ${percent !== null
          ? `${formatPercent(percent)} · `
          : ""}${amount} ${phase === "running" && bytes > 0
          ? ` · ${formatSpeed(bytes / seconds)}`
          : ""} ${phase === "done" ? ` in ${formatDuration(seconds)}` : ""}
      </p>
      <p class="${phase === "failed" ? "alert" : "status"}" role="${phase === "failed"
        ? "alert"
        : "status"}">${message}</p>
    </div>
  `;
}

function SendPanel(props: { name: string }): VNode {
  const [mode, setMode] = useState<"file" | "text">("file");
  const [file, setFile] = useState<File | null>(null);
  const [text, setText] = useState("");
  const [dragging, setDragging] = useState(false);
  const transfer = useTransfer();
  const running = transfer.state.phase === "running";

  function pick(files: FileList | null | undefined) {
    const first = files?.[0];
    if (first) {
      setFile(first);
      setMode("file");
    }
  }

  async function send(event: Event) {
    event.preventDefault();
    const body = mode === "file" ? file : new Blob([text], { type: "text/plain;charset=utf-8" });
    if (body === null || props.name === "") return;
    const receiveLine = `curl ${location.origin}${pipePath(props.name)}`;
    const signal = transfer.start(`Waiting for a receiver: ${receiveLine}`);
    try {
      const result = await sendToPipe({
        url: pipePath(props.name),
        body,
        ...(mode === "file" && file ? { fileName: file.name } : {}),
        signal,
        onProgress: (bytes, total) =>
          transfer.progress(
            bytes,
            total,
            bytes >= (total ?? Infinity)
              ? "All bytes handed over; waiting for the receiver to take them…"
              : "Sending…",
          ),
      });
      const lines = result.text.trim().split("\n").filter(Boolean);
      const last = lines[lines.length - 1] ?? "";
      if (result.status >= 200 && result.status < 300) {
        transfer.progress(body.size, body.size);
        transfer.finish("done", `Sent ${formatBytes(body.size)} to ${props.name}.`);
      } else {
        transfer.finish(
          "failed",
          `The server answered ${result.status}: ${last || "no reason given"}`,
        );
      }
    } catch (error) {
      const aborted = error instanceof DOMException && error.name === "AbortError";
      transfer.finish(
        "failed",
        aborted ? "Cancelled." : `Sending failed: ${(error as Error).message}`,
      );
    }
  }

  return html`
    <section class="card">
      <h2>Send from this browser</h2>
      <form onSubmit="${send}" data-testid="send-form">
        <div class="tabs" role="group" aria-label="What to send">
          <button type="button" aria-pressed="${mode === "file"}" onClick="${() =>
            setMode("file")}">File</button>
          <button type="button" aria-pressed="${mode === "text"}" onClick="${() =>
            setMode("text")}">Text</button>
        </div>
        ${mode === "file"
          ? html`
            <label
              class="${`drop ${dragging ? "dragging" : ""}`}"
              data-testid="drop-zone"
              onDragOver="${(e: DragEvent) => {
                e.preventDefault();
                setDragging(true);
              }}"
              onDragLeave="${() => setDragging(false)}"
              onDrop="${(e: DragEvent) => {
                e.preventDefault();
                setDragging(false);
                pick(e.dataTransfer?.files);
              }}"
            >
              <input
                type="file"
                class="visually-hidden"
                data-testid="file-input"
                onChange="${(e: Event) => pick((e.currentTarget as HTMLInputElement).files)}"
              />
              <span>${file
                ? `${file.name} · ${formatBytes(file.size)}`
                : "Drop a file here, or tap to choose one"}</span>
            </label>
          `
          : html`
            <textarea
              data-testid="text-input"
              rows="4"
              placeholder="Text to send"
              aria-label="Text to send"
              value="${text}"
              onInput="${(e: Event) => setText((e.currentTarget as HTMLTextAreaElement).value)}"
            ></textarea>
          `}
        <div class="row">
          <button type="submit" data-testid="send" disabled="${running || props.name === "" ||
            (mode === "file" && file === null)}">
            Send to ${props.name || "…"}
          </button>
          ${running && html`
            <button type="button" class="secondary" onClick="${transfer.cancel}">Cancel</button>
          `}
        </div>
      </form>
      <${TransferProgress} state="${transfer
        .state}" label="Sending progress" testId="send-progress" />
    </section>
  `;
}

interface Received {
  url: string;
  fileName: string;
  size: number;
  preview: string | null;
}

function ReceivePanel(props: { name: string }): VNode {
  const transfer = useTransfer();
  const [received, setReceived] = useState<Received | null>(null);
  const running = transfer.state.phase === "running";
  useEffect(() => () => {
    if (received) URL.revokeObjectURL(received.url);
  }, [received]);

  async function receive(event: Event) {
    event.preventDefault();
    if (props.name === "") return;
    setReceived(null);
    const sendLine = `curl -T FILE ${location.origin}${pipePath(props.name)}`;
    const signal = transfer.start(`Waiting for a sender: ${sendLine}`);
    try {
      const result = await receiveFromPipe({
        url: pipePath(props.name),
        signal,
        onStart: () => transfer.progress(0, null, "Receiving…"),
        onProgress: (bytes, total) => transfer.progress(bytes, total),
      });
      if (!result.ok) {
        transfer.finish(
          "failed",
          `The server answered ${result.status}: ${result.text.trim() || "no reason given"}`,
        );
        return;
      }
      const { blob } = result;
      const fileName = result.fileName ?? props.name.split("/").pop() ?? "download";
      const preview = blob.type.startsWith("text/") && blob.size <= 64_000
        ? await blob.text()
        : null;
      transfer.progress(blob.size, blob.size);
      setReceived({ url: URL.createObjectURL(blob), fileName, size: blob.size, preview });
      transfer.finish("done", `Received ${formatBytes(blob.size)} from ${props.name}.`);
    } catch (error) {
      const aborted = error instanceof DOMException && error.name === "AbortError";
      transfer.finish(
        "failed",
        aborted
          ? "Cancelled."
          : `Receiving failed (the sender may have disconnected): ${(error as Error).message}`,
      );
    }
  }

  return html`
    <section class="card">
      <h2>Receive in this browser</h2>
      <form onSubmit="${receive}" data-testid="receive-form">
        <div class="row">
          <button type="submit" data-testid="receive" disabled="${running || props.name === ""}">
            Receive from ${props.name || "…"}
          </button>
          ${running && html`
            <button type="button" class="secondary" onClick="${transfer.cancel}">Cancel</button>
          `}
        </div>
      </form>
      <${TransferProgress} state="${transfer
        .state}" label="Receiving progress" testId="receive-progress" />
      ${received &&
        html`
          <p>
            <a class="button" href="${received.url}" download="${received
              .fileName}" data-testid="save">
              Save ${received.fileName} (${formatBytes(received.size)})
            </a>
          </p>
          ${received.preview !== null && html`
            <pre class="preview" data-testid="preview">${received.preview}</pre>
          `}
        `}
    </section>
  `;
}

function WatchPanel(props: { name: string }): VNode {
  const [name, setName] = useState("");
  function open(event: Event) {
    event.preventDefault();
    const target = name.trim() || props.name;
    if (target !== "") location.assign(`${pipePath(target)}?progress`);
  }
  return html`
    <section class="card">
      <h2>Watch a pipe</h2>
      <form class="row" onSubmit="${open}" data-testid="watch-form">
        <input
          aria-label="Pipe name to watch"
          placeholder="${props.name || "pipe name"}"
          value="${name}"
          onInput="${(e: Event) => setName((e.currentTarget as HTMLInputElement).value)}"
          autocomplete="off"
          autocapitalize="off"
        />
        <button type="submit">Open dashboard</button>
      </form>
    </section>
  `;
}

render(
  html`
    <${Front} />
  `,
  document.getElementById("app")!,
);
