/**
 * The front page (browser entry): what ringside is, the curl lines for this server, forms to
 * send to, receive from and watch a pipe, and boxes that open a job's or a process's dashboard.
 *
 * @module
 */

import type { VNode } from "preact";
import { useState } from "preact/hooks";
import { pipeCommands, pipePath, randomPipeName } from "./commands.ts";
import { CopyLine } from "./_components.ts";
import { html, mountPage } from "./_html.ts";
import { ReceivePanel } from "./_receive_panel.ts";
import { SendPanel } from "./_send_panel.ts";
import { WatchPanel } from "./_watch_panel.ts";

function Front(): VNode {
  const [name, setName] = useState(randomPipeName);
  const shown = name || "NAME";
  const commands = pipeCommands(location.origin, shown);
  const onName = (e: Event) => setName((e.currentTarget as HTMLInputElement).value.trim());
  const newName = () => setName(randomPipeName());
  return html`
    <main class="page front">
      <header class="hero">
        <h1 class="brand">ringside</h1>
        <p>Send bytes between machines through this server with plain HTTP: curl on both sides.</p>
        <p>Nothing is stored: bytes flow from the sender to the receivers as they arrive.</p>
        <p>Anyone can watch a transfer live by adding <code>?progress</code> to its URL.</p>
        <p>Jobs that publish progress and commands whose output streams here have a live page too.</p>
      </header>

      <section class="card">
        <label class="field" for="pipe-name">Pipe name</label>
        <div class="row">
          <input
            id="pipe-name"
            name="pipe"
            data-testid="pipe-name"
            value="${name}"
            onInput="${onName}"
            autocomplete="off"
            autocapitalize="off"
            spellcheck="false"
          />
          <button type="button" class="secondary" onClick="${newName}">New name</button>
        </div>
        <p class="hint">Both sides use the same name; it is the pipe's only secret.</p>
      </section>

      <section class="card">
        <h2>From a terminal</h2>
        <${CopyLine} label="Send a file" command="${commands.send}" testId="cmd-send" />
        <${CopyLine} label="Receive it" command="${commands.receive}" testId="cmd-receive" />
        <${CopyLine} label="Watch it (Server-Sent Events)" command="${commands
          .events}" testId="cmd-events" />
        <p><a href="${`${pipePath(shown)}?progress`}">Open the dashboard of ${shown}</a></p>
      </section>

      <${SendPanel} name="${name}" />
      <${ReceivePanel} name="${name}" />
      <${WatchPanel} kind="pipe" fallback="${name}" />
      <${WatchPanel} kind="job" />
      <${WatchPanel} kind="process" />
    </main>
  `;
}

mountPage(Front);
