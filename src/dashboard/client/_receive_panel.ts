/**
 * The front page's receive panel: takes what a sender sends to the pipe named on the page,
 * then offers it as a download (with a preview of a short text).
 *
 * @module
 */

import type { VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import { formatBytes } from "../../client/format.ts";
import { pipePath } from "./commands.ts";
import { receiveFromPipe } from "./transfer.ts";
import { TransferPanel, useTransfer } from "./_transfer_panel.ts";
import { html } from "./_html.ts";

/** A received body, ready to save. */
interface Received {
  url: string;
  fileName: string;
  size: number;
  preview: string | null;
}

/** Receives from the pipe `name` in this browser. */
export function ReceivePanel(props: { name: string }): VNode {
  const transfer = useTransfer();
  const [received, setReceived] = useState<Received | null>(null);
  const running = transfer.state.phase === "running";
  const url = pipePath(props.name);
  useEffect(() => () => {
    if (received) URL.revokeObjectURL(received.url);
  }, [received]);

  async function receive(event: Event) {
    event.preventDefault();
    if (props.name === "") return;
    setReceived(null);
    const signal = transfer.start("Waiting for a sender…");
    try {
      const result = await receiveFromPipe({
        url,
        signal,
        onStart: () => transfer.progress(0, null, "Receiving…"),
        onProgress: (bytes, total) => transfer.progress(bytes, total),
      });
      if (!result.ok) {
        transfer.refused(result.status, result.text);
        return;
      }
      const { blob } = result;
      const fileName = result.fileName ?? props.name.split("/").pop() ?? "download";
      const small = blob.type.startsWith("text/") && blob.size <= 64_000;
      const preview = small ? await blob.text() : null;
      transfer.progress(blob.size, blob.size);
      setReceived({ url: URL.createObjectURL(blob), fileName, size: blob.size, preview });
      transfer.finish("done", `Received ${formatBytes(blob.size)} from ${props.name}.`);
    } catch (error) {
      transfer.failed(error, "Receiving failed (did the sender disconnect?)");
    }
  }

  const save = received === null ? null : html`
    <p>
      <a class="button" href="${received.url}" download="${received.fileName}" data-testid="save">
        Save ${received.fileName} (${formatBytes(received.size)})
      </a>
    </p>
  `;
  const preview = received?.preview == null ? null : html`
    <pre class="preview" data-testid="preview">${received.preview}</pre>
  `;
  return html`
    <${TransferPanel}
      title="Receive in this browser"
      transfer="${transfer}"
      onSubmit="${receive}"
      testId="receive"
      submit="${`Receive from ${props.name || "…"}`}"
      disabled="${running || props.name === ""}"
      progressLabel="Receiving progress"
      hint="${`Send to it with: curl -T FILE ${location.origin}${url}`}"
      after="${html`
        ${save} ${preview}
      `}"
    />
  `;
}
