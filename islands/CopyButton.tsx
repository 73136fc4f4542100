/** A button that copies text (a snippet, a key) and says so. */
import { useState } from "preact/hooks";
import { island } from "../lib/island.ts";

function CopyButton(props: { text: string; label?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setState("copied");
    } catch {
      // Clipboard access can be refused (insecure origin, permissions): select-and-copy still works.
      setState("failed");
    }
    setTimeout(() => setState("idle"), 2500);
  };
  return (
    <button type="button" class="secondary" onClick={copy} aria-live="polite">
      {state === "copied"
        ? "Copied ✓"
        : state === "failed"
        ? "Press Ctrl+C to copy"
        : props.label ?? "Copy"}
    </button>
  );
}

export default island("CopyButton", CopyButton);
