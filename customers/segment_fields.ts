/**
 * What the segment builder offers: each field's label, kind and operators, in words. Pure data,
 * shared by the builder island and the pages; the rule itself is checked in segments.ts.
 */

/** How a field's value is entered. */
export type FieldKind =
  | "status"
  | "tags"
  | "product"
  | "text"
  | "date"
  | "number"
  | "money"
  | "pages";

export const SEGMENT_FIELDS: Array<{ field: string; label: string; kind: FieldKind }> = [
  { field: "status", label: "Status", kind: "status" },
  { field: "tags", label: "Tags", kind: "tags" },
  { field: "revenue", label: "Lifetime revenue", kind: "money" },
  { field: "payments", label: "Payments", kind: "number" },
  { field: "mrr", label: "MRR", kind: "money" },
  { field: "engagement", label: "Engagement", kind: "number" },
  { field: "visits", label: "Visits", kind: "number" },
  { field: "joined", label: "Joined", kind: "date" },
  { field: "last_active", label: "Last active", kind: "date" },
  { field: "last_visit", label: "Last visit", kind: "date" },
  { field: "last_payment", label: "Last payment", kind: "date" },
  { field: "cancelled", label: "Cancelled", kind: "date" },
  { field: "product", label: "Product", kind: "product" },
  { field: "plan", label: "Plan", kind: "text" },
  { field: "first_source", label: "First source", kind: "text" },
  { field: "first_channel", label: "First channel", kind: "text" },
  { field: "first_campaign", label: "First campaign", kind: "text" },
  { field: "country", label: "Country", kind: "text" },
  { field: "device", label: "Device", kind: "text" },
  { field: "page_views", label: "Viewed page", kind: "pages" },
];

/** Operators per kind, with their words. */
export const KIND_OPS: Record<FieldKind, Array<[string, string]>> = {
  status: [["is", "is any of"], ["is_not", "is none of"]],
  tags: [["has_any", "has any of"], ["has_all", "has all of"], ["not_has", "has none of"]],
  product: [["bought", "bought any of"], ["not_bought", "never bought"]],
  text: [["is", "is"], ["is_not", "is not"], ["contains", "contains"]],
  date: [
    ["in_last", "in the last"],
    ["not_in_last", "not in the last"],
    ["before", "before"],
    ["after", "after"],
    ["between", "between"],
  ],
  number: [["gt", "more than"], ["lt", "less than"], ["eq", "exactly"], ["between", "between"]],
  money: [["gt", "more than"], ["lt", "less than"], ["eq", "exactly"], ["between", "between"]],
  pages: [["at_least", "at least"]],
};
