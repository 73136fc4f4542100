/**
 * The customer list's URL parameters, parsed once for the page, the CSV and the API:
 * `q` (email or name), `status`, `tag` (a tag id), `segment` (a saved segment), `sort` (revenue | last_active | joined |
 * engagement | email), `dir` (asc | desc), `page` (1-based).
 */
import { Invalid } from "../lib/errors.ts";
import {
  CUSTOMER_SORTS,
  CUSTOMER_STATUSES,
  type CustomerSort,
  type CustomerStatus,
} from "./store.ts";

/** The list's order when none is asked for: newest first (cheap on any number of customers). */
export const DEFAULT_SORT: CustomerSort = "joined";

/** Customers per page. */
export const CUSTOMERS_PAGE = 50;

/** The list's parameters as parsed. */
export interface ListParams {
  search: string;
  status?: CustomerStatus;
  tagId?: number;
  /** A saved segment's id. */
  segmentId?: number;
  sort: CustomerSort;
  dir: "asc" | "desc";
  page: number;
}

/** Parses list parameters; Invalid with a sentence for a value that means nothing. */
export function parseListParams(p: URLSearchParams): ListParams {
  const search = (p.get("q") ?? "").trim().slice(0, 200);
  const status = p.get("status") || undefined;
  if (status && !(CUSTOMER_STATUSES as string[]).includes(status)) {
    throw new Invalid("status", `"${status.slice(0, 40)}" is not a customer status.`);
  }
  const tag = p.get("tag") || undefined;
  if (tag && !/^[1-9][0-9]{0,14}$/.test(tag)) {
    throw new Invalid("tag", "That tag link is broken; pick the tag again.");
  }
  const segment = p.get("segment") || undefined;
  if (segment && !/^[1-9][0-9]{0,14}$/.test(segment)) {
    throw new Invalid("segment", "That segment link is broken; pick the segment again.");
  }
  const sort = p.get("sort") || DEFAULT_SORT;
  if (!(CUSTOMER_SORTS as string[]).includes(sort)) {
    throw new Invalid("sort", `Customers can be sorted by ${CUSTOMER_SORTS.join(", ")}.`);
  }
  const dir = p.get("dir") || (sort === "email" ? "asc" : "desc");
  if (dir !== "asc" && dir !== "desc") {
    throw new Invalid("dir", "The order is asc or desc.");
  }
  const pageRaw = p.get("page") || "1";
  if (!/^[1-9][0-9]{0,5}$/.test(pageRaw)) {
    throw new Invalid("page", "Pages are numbered from 1.");
  }
  return {
    search,
    status: status as CustomerStatus | undefined,
    tagId: tag ? Number(tag) : undefined,
    segmentId: segment ? Number(segment) : undefined,
    sort: sort as CustomerSort,
    dir,
    page: Number(pageRaw),
  };
}

/** The list's URL with some parameters changed; defaults are left out. */
export function listHref(base: string, p: ListParams, change: Partial<ListParams> = {}): string {
  const m = { ...p, ...change };
  const q = new URLSearchParams();
  if (m.search) q.set("q", m.search);
  if (m.status) q.set("status", m.status);
  if (m.tagId) q.set("tag", String(m.tagId));
  if (m.segmentId) q.set("segment", String(m.segmentId));
  if (m.sort !== DEFAULT_SORT) q.set("sort", m.sort);
  if (m.dir !== (m.sort === "email" ? "asc" : "desc")) q.set("dir", m.dir);
  if (m.page > 1) q.set("page", String(m.page));
  const s = q.toString();
  return s ? `${base}?${s}` : base;
}
