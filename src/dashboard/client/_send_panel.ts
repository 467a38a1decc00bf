/**
 * The front page's send panel: a file (dropped or chosen) or a text, sent to the pipe named on
 * the page, with its progress.
 *
 * @module
 */

import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { formatBytes } from "../../client/format.ts";
import { pipePath } from "./commands.ts";
import { sendToPipe } from "./transfer.ts";
import { TransferPanel, useTransfer } from "./_transfer_panel.ts";
import { html } from "./_html.ts";

/** Sends a file or a text to the pipe `name` from this browser. */
export function SendPanel(props: { name: string }): VNode {
  const [mode, setMode] = useState<"file" | "text">("file");
  const [file, setFile] = useState<File | null>(null);
  const [text, setText] = useState("");
  const [dragging, setDragging] = useState(false);
  const transfer = useTransfer();
  const running = transfer.state.phase === "running";
  const url = pipePath(props.name);

  function pick(files: FileList | null | undefined) {
    const first = files?.[0];
    if (first) {
      setFile(first);
      setMode("file");
    }
  }
  function onDragOver(e: DragEvent) {
    e.preventDefault();
    setDragging(true);
  }
  function onDrop(e: DragEvent) {
    e.preventDefault();
    setDragging(false);
    pick(e.dataTransfer?.files);
  }
  const onDragLeave = () => setDragging(false);
  const onFile = (e: Event) => pick((e.currentTarget as HTMLInputElement).files);
  const onText = (e: Event) => setText((e.currentTarget as HTMLTextAreaElement).value);
  const fileMode = () => setMode("file");
  const textMode = () => setMode("text");

  async function send(event: Event) {
    event.preventDefault();
    const body = mode === "file" ? file : new Blob([text], { type: "text/plain;charset=utf-8" });
    if (body === null || props.name === "") return;
    const signal = transfer.start("Sending… the transfer starts when a receiver connects.");
    const handedOver = "All bytes handed over; waiting for the receivers to take them…";
    try {
      const result = await sendToPipe({
        url,
        body,
        ...(mode === "file" && file ? { fileName: file.name } : {}),
        signal,
        onProgress: (bytes, total) =>
          transfer.progress(
            bytes,
            total,
            total !== null && bytes >= total ? handedOver : undefined,
          ),
      });
      if (result.status >= 200 && result.status < 300) {
        transfer.progress(body.size, body.size);
        transfer.finish("done", `Sent ${formatBytes(body.size)} to ${props.name}.`);
      } else {
        transfer.refused(result.status, result.text);
      }
    } catch (error) {
      transfer.failed(error, "Sending failed");
    }
  }

  const chosen = file
    ? `${file.name} · ${formatBytes(file.size)}`
    : "Drop a file here, or tap to choose one";
  const cannotSend = running || props.name === "" || (mode === "file" && file === null);
  const fileInput = html`
    <label
      class="${dragging ? "drop dragging" : "drop"}"
      data-testid="drop-zone"
      onDragOver="${onDragOver}"
      onDragLeave="${onDragLeave}"
      onDrop="${onDrop}"
    >
      <input type="file" class="visually-hidden" data-testid="file-input" onChange="${onFile}" />
      <span>${chosen}</span>
    </label>
  `;
  const textInput = html`
    <textarea
      data-testid="text-input"
      rows="4"
      placeholder="Text to send"
      aria-label="Text to send"
      value="${text}"
      onInput="${onText}"
    ></textarea>
  `;
  const inputs = html`
    <div class="tabs" role="group" aria-label="What to send">
      <button type="button" aria-pressed="${String(
        mode === "file",
      )}" onClick="${fileMode}">File</button>
      <button type="button" aria-pressed="${String(
        mode === "text",
      )}" onClick="${textMode}">Text</button>
    </div>
    ${mode === "file" ? fileInput : textInput}
  `;
  return html`
    <${TransferPanel}
      title="Send from this browser"
      transfer="${transfer}"
      onSubmit="${send}"
      testId="send"
      submit="${`Send to ${props.name || "…"}`}"
      disabled="${cannotSend}"
      progressLabel="Sending progress"
      hint="${`Receive it with: curl ${location.origin}${url}`}"
      inputs="${inputs}"
    />
  `;
}
