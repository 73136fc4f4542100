/** Tabs between the customer pages. */
export type CustomersTab = "list" | "segments" | "metrics" | "automations";

export function CustomersNav(props: { siteId: number; active: CustomersTab }) {
  const base = `/sites/${props.siteId}/customers`;
  const tabs: Array<[CustomersTab, string, string]> = [
    ["list", base, "People"],
    ["segments", `${base}/segments`, "Segments"],
    ["metrics", `${base}/metrics`, "Metrics"],
    ["automations", `${base}/automations`, "Automations"],
  ];
  return (
    <nav class="revenue-tabs" aria-label="Customers">
      {tabs.map(([name, href, label]) => (
        <a href={href} aria-current={props.active === name ? "page" : undefined}>{label}</a>
      ))}
    </nav>
  );
}
