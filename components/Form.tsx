/** Form helpers: every state-changing form carries the CSRF token. */
import type { ComponentChildren } from "preact";

/** A POST form with its CSRF token; pass the token from `await csrfToken(c)`. */
export function Form(
  props: {
    action: string;
    csrf: string;
    class?: string;
    id?: string;
    /** multipart/form-data for a file upload. */
    enctype?: string;
    children: ComponentChildren;
  },
) {
  return (
    <form
      method="post"
      action={props.action}
      class={props.class}
      id={props.id}
      enctype={props.enctype}
    >
      <input type="hidden" name="_csrf" value={props.csrf} />
      {props.children}
    </form>
  );
}

/** A labelled input with an optional hint and error message. */
export function Field(props: {
  /** Needed when the same field appears in several forms on one page. */
  id?: string;
  label: string;
  name: string;
  type?: string;
  value?: string;
  hint?: string;
  error?: string;
  required?: boolean;
  autocomplete?: string;
  placeholder?: string;
  minLength?: number;
}) {
  const id = props.id ?? `f-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value}
        required={props.required}
        autocomplete={props.autocomplete}
        placeholder={props.placeholder}
        minLength={props.minLength}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={props.error ? `${id}-error` : props.hint ? `${id}-hint` : undefined}
      />
      {props.hint && !props.error && <div class="hint" id={`${id}-hint`}>{props.hint}</div>}
      {props.error && <div class="hint negative" id={`${id}-error`}>{props.error}</div>}
    </div>
  );
}
