/** The centred card signed-out pages (sign in, sign up, reset) are made of. */
import type { ComponentChildren } from "preact";

export function AuthCard(props: { title: string; intro?: string; children: ComponentChildren }) {
  return (
    <main class="center-page auth-page">
      <div class="card narrow stack">
        <a class="brand" href="/">
          <img src="/static/favicon.svg" alt="" /> Sextant
        </a>
        <h1>{props.title}</h1>
        {props.intro && <p class="muted">{props.intro}</p>}
        {props.children}
      </div>
    </main>
  );
}

/** A sentence in a coloured box; `role=alert` for errors so screen readers announce them. */
export function Notice(props: { kind: "error" | "success" | "info"; children: ComponentChildren }) {
  return (
    <div class={`alert ${props.kind}`} role={props.kind === "error" ? "alert" : "status"}>
      {props.children}
    </div>
  );
}
