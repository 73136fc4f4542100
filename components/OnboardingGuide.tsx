/** The five-step start guide: where you are, what's next, one button to do it. */
import type { Onboarding } from "../accounts/onboarding.ts";
import { Form } from "./Form.tsx";

const NEXT_HINT: Record<string, string> = {
  site: "Tell us which website to track. It takes ten seconds.",
  install: "Paste one line into your site's <head>, then watch the first visit arrive.",
  revenue: "Connect Stripe (or another platform) to see which sources make money.",
  dashboard: "Everything's ready. See your visitors and revenue.",
};

export function OnboardingGuide(props: { guide: Onboarding; csrf: string }) {
  const g = props.guide;
  if (!g.current || g.dismissed) return null;
  const doneCount = g.steps.filter((s) => s.done).length;
  const cur = g.current;
  return (
    <section class="card onboarding" aria-labelledby="onboarding-title">
      <div class="row spread">
        <h2 id="onboarding-title">Get started · {doneCount} of {g.steps.length} done</h2>
        <Form action="/onboarding/dismiss" csrf={props.csrf} class="inline-form">
          <button type="submit" class="link-button small">Hide guide</button>
        </Form>
      </div>
      <div class="progress" aria-hidden="true">
        <span style={`width:${Math.round((doneCount / g.steps.length) * 100)}%`} />
      </div>
      <ol class="onboarding-steps">
        {g.steps.map((s, i) => (
          <li
            class={s.done ? "done" : s.key === cur.key ? "current" : ""}
            aria-current={s.key === cur.key ? "step" : undefined}
          >
            <span class="step-mark" aria-hidden="true">{s.done ? "✓" : i + 1}</span>
            {s.done || s.key === cur.key ? <a href={s.href}>{s.label}</a> : <span>{s.label}</span>}
            {s.done && <span class="visually-hidden">(done)</span>}
          </li>
        ))}
      </ol>
      <div class="row spread onboarding-next">
        <p class="muted">{NEXT_HINT[cur.key]}</p>
        <div class="row">
          {cur.key === "revenue" && g.site && (
            <Form
              action={`/sites/${g.site.id}/onboarding/skip-revenue`}
              csrf={props.csrf}
              class="inline-form"
            >
              <button type="submit" class="secondary">Skip for now</button>
            </Form>
          )}
          {cur.key === "dashboard" && g.site
            ? (
              <Form
                action={`/sites/${g.site.id}/onboarding/dashboard`}
                csrf={props.csrf}
                class="inline-form"
              >
                <button type="submit">Open dashboard</button>
              </Form>
            )
            : <a class="button" href={cur.href}>{cur.label}</a>}
        </div>
      </div>
    </section>
  );
}
