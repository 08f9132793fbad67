/**
 * A card description co-edited live: CodeMirror 6 bound to a Yjs document with
 * y-codemirror.next, synced by the stock y-websocket provider against
 * `/ws/cards/<id>/doc/` (authenticated by the session cookie, as `/ws/`).
 *
 * Loaded on demand (a dynamic import), so the board does not wait for CodeMirror.
 * A new generation (the server reset the document: close 4409) drops the document
 * and starts a fresh one: two histories of one text are never merged.
 */

import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { markdown } from "@codemirror/lang-markdown";
import { Compartment, EditorState } from "@codemirror/state";
import { EditorView, keymap, placeholder } from "@codemirror/view";
import * as decoding from "lib0/decoding";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { CLOSE_GENERATION, docState, type DocState, MESSAGE_HELLO, MESSAGE_SAVED, shouldReconnect } from "./status";

export interface CollabOptions {
  parent: HTMLElement;
  cardId: number;
  user: { id: number; username: string };
  canEdit: boolean;
  onState: (state: DocState) => void;
  onFocusChange?: (focused: boolean) => void;
}

export interface CollabEditor {
  destroy(): void;
  /** The view, for tests and focus. */
  view(): EditorView | null;
}

const RECONNECTED_MS = 2000;

function colourOf(id: number): { color: string; colorLight: string } {
  const hue = (id * 137) % 360;
  return { color: `hsl(${hue} 70% 40%)`, colorLight: `hsl(${hue} 70% 40% / 0.2)` };
}

function socketBase(location: Location): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws/cards`;
}

export function startCollabEditor(options: CollabOptions): CollabEditor {
  let destroyed = false;
  let session: Session | null = null;

  const start = (generation: string) => {
    session = new Session(options, generation, () => {
      // A new generation: drop everything of the old one, then start afresh.
      session?.destroy();
      if (!destroyed) start("");
    });
  };
  start("");

  const leave = () => session?.leave();
  window.addEventListener("pagehide", leave);
  return {
    destroy() {
      destroyed = true;
      window.removeEventListener("pagehide", leave);
      session?.destroy();
      session = null;
    },
    view: () => session?.view ?? null,
  };
}

class Session {
  readonly doc = new Y.Doc();
  readonly provider: WebsocketProvider;
  readonly view: EditorView;
  private readonly editable = new Compartment();
  private connected = false;
  private everConnected = false;
  private synced = false;
  private writable: boolean;
  private sent = 0;
  private acked = 0;
  private reconnectedUntil = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly options: CollabOptions,
    generation: string,
    onNewGeneration: () => void,
  ) {
    this.writable = options.canEdit;
    const text = this.doc.getText("description");
    this.provider = new WebsocketProvider(socketBase(window.location), `${options.cardId}/doc/`, this.doc, {
      params: { generation },
      connect: false,
      maxBackoffTime: 5000,
      shouldReconnect: (event: CloseEvent) => shouldReconnect(event.code),
    });
    this.installMessages();
    this.provider.awareness.setLocalStateField("user", { name: options.user.username, ...colourOf(options.user.id) });

    this.provider.on("status", ({ status }: { status: string }) => {
      const connected = status === "connected";
      if (connected) {
        this.sent = 0;
        this.acked = 0;
        if (this.everConnected) this.reconnectedUntil = Date.now() + RECONNECTED_MS + 60_000;
        this.everConnected = true;
      }
      this.connected = connected;
      this.report();
    });
    this.provider.on("sync", (synced: boolean) => {
      this.synced = synced;
      if (synced && this.reconnectedUntil > 0) this.reconnectedUntil = Date.now() + RECONNECTED_MS;
      this.report();
    });
    this.provider.on("connection-close", (event: CloseEvent | null) => {
      if (event?.code === CLOSE_GENERATION) queueMicrotask(onNewGeneration);
      else if (event && !shouldReconnect(event.code)) {
        this.writable = false;
        this.applyEditable();
      }
    });
    // Each local change the provider sends now is one update-bearing message.
    this.doc.on("update", (_update: Uint8Array, origin: unknown) => {
      if (origin !== this.provider && this.provider.wsconnected) this.sent += 1;
      this.report();
    });

    const undoManager = new Y.UndoManager(text);
    this.view = new EditorView({
      parent: options.parent,
      state: EditorState.create({
        doc: text.toString(),
        extensions: [
          keymap.of([...yUndoManagerKeymap, ...defaultKeymap, ...historyKeymap]),
          history(),
          markdown(),
          EditorView.lineWrapping,
          placeholder("Add details, checklists or links with Markdown…"),
          EditorView.contentAttributes.of({ "aria-label": "Description", "aria-multiline": "true" }),
          this.editable.of(this.editableExtensions()),
          yCollab(text, this.provider.awareness, { undoManager }),
          EditorView.focusChangeEffect.of((_state, focusing) => {
            options.onFocusChange?.(focusing);
            return null;
          }),
        ],
      }),
    });

    const offline = () => this.provider.disconnect();
    const online = () => this.provider.connect();
    window.addEventListener("offline", offline);
    window.addEventListener("online", online);
    this.cleanups.push(() => window.removeEventListener("offline", offline));
    this.cleanups.push(() => window.removeEventListener("online", online));
    if (navigator.onLine !== false) this.provider.connect();
    this.report();
  }

  private installMessages() {
    const handlers = this.provider.messageHandlers;
    const sync = handlers[0]!;
    // The reply to the server's sync step 1 is a step 2: update-bearing, acknowledged.
    handlers[0] = (encoder, decoder, provider, emitSynced, messageType) => {
      if (decoding.peekVarUint(decoder) === 0) this.sent += 1;
      sync(encoder, decoder, provider, emitSynced, messageType);
    };
    handlers[MESSAGE_HELLO] = (_encoder, decoder) => {
      decoding.readVarString(decoder); // the generation: a fresh doc needs none
      this.writable = this.options.canEdit && decoding.readVarUint(decoder) === 1;
      this.applyEditable();
    };
    handlers[MESSAGE_SAVED] = (_encoder, decoder) => {
      this.acked = decoding.readVarUint(decoder);
      this.report();
    };
  }

  private editableExtensions() {
    return [EditorState.readOnly.of(!this.writable), EditorView.editable.of(true)];
  }

  private applyEditable() {
    this.view?.dispatch({ effects: this.editable.reconfigure(this.editableExtensions()) });
    this.report();
  }

  private report() {
    const now = Date.now();
    const justReconnected = now < this.reconnectedUntil;
    this.options.onState(
      docState({
        connected: this.connected,
        synced: this.synced,
        writable: this.writable,
        sent: this.sent,
        acked: this.acked,
        justReconnected,
      }),
    );
    if (this.timer) clearTimeout(this.timer);
    this.timer = justReconnected ? setTimeout(() => this.report(), this.reconnectedUntil - now + 10) : null;
  }

  /** Take this tab's cursor away now (a closed panel or tab). */
  leave() {
    this.provider.awareness.setLocalState(null);
  }

  destroy() {
    if (this.timer) clearTimeout(this.timer);
    for (const cleanup of this.cleanups) cleanup();
    this.leave();
    this.provider.destroy();
    this.view.destroy();
    this.doc.destroy();
  }
}
