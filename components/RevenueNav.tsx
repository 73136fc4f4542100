/** Tabs between the revenue report and the integrations that feed it, and code samples. */
import CopyButton from "../islands/CopyButton.tsx";

export function RevenueNav(props: { siteId: number; active: "report" | "integrations" }) {
  const tab = (href: string, name: "report" | "integrations", label: string) => (
    <a href={href} aria-current={props.active === name ? "page" : undefined}>{label}</a>
  );
  return (
    <nav class="revenue-tabs" aria-label="Revenue">
      {tab(`/sites/${props.siteId}/revenue`, "report", "Report")}
      {tab(`/sites/${props.siteId}/integrations`, "integrations", "Integrations")}
    </nav>
  );
}

/** A code sample with a copy button. */
export function Snippet(props: { code: string; label: string }) {
  return (
    <div class="snippet">
      <div class="snippet-head">
        <span class="muted small">{props.label}</span>
        <CopyButton text={props.code} />
      </div>
      <pre><code>{props.code}</code></pre>
    </div>
  );
}
