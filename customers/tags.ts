/** Tags: coloured labels per site, put on customers by hand, in bulk or by automations. */
import type { Sql } from "../db/connect.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import { storableText } from "../lib/text.ts";
import { assertCustomer } from "./store.ts";

/** The palette; each name maps to a class with light and dark shades in app.css. */
export const TAG_COLORS = [
  "gray",
  "red",
  "orange",
  "yellow",
  "green",
  "teal",
  "blue",
  "purple",
] as const;
export type TagColor = typeof TAG_COLORS[number];

export interface Tag {
  id: number;
  name: string;
  color: TagColor;
  /** Customers carrying it (lists only). */
  customers?: number;
}

/** A tag name as stored, or Invalid with a sentence. */
export function cleanTagName(raw: string): string {
  const name = storableText(raw).replace(/\s+/g, " ").trim();
  if (!name) throw new Invalid("name", "Give the tag a name.");
  if (name.length > 40) throw new Invalid("name", "Keep tag names to 40 characters.");
  return name;
}

/** A colour of the palette, or Invalid. */
export function cleanColor(raw: string | undefined): TagColor {
  const c = (raw ?? "").trim() || "gray";
  if (!(TAG_COLORS as readonly string[]).includes(c)) {
    throw new Invalid("color", `Pick one of the colours: ${TAG_COLORS.join(", ")}.`);
  }
  return c as TagColor;
}

/** Every tag of a site with how many customers carry it, by name. */
export async function listTags(sql: Sql, siteId: number): Promise<Tag[]> {
  return await sql<Tag[]>`
    select t.id, t.name, t.color,
      (select count(*)::int from customer_taggings g where g.tag_id = t.id) as customers
    from customer_tags t where t.site_id = ${siteId} order by lower(t.name), t.id`;
}

/** A site's tag; NotFound for any other. */
export async function findTag(sql: Sql, siteId: number, tagId: number): Promise<Tag> {
  const [row] = await sql<Tag[]>`
    select id, name, color from customer_tags where site_id = ${siteId} and id = ${tagId}`;
  if (!row) throw new NotFound("We couldn't find that tag.");
  return row;
}

/** The tag with this name (any case), created with `color` when new. */
export async function ensureTag(
  sql: Sql,
  siteId: number,
  rawName: string,
  color?: string,
): Promise<Tag> {
  const name = cleanTagName(rawName);
  const [existing] = await sql<Tag[]>`
    select id, name, color from customer_tags
    where site_id = ${siteId} and lower(name) = lower(${name})`;
  if (existing) return existing;
  const [row] = await sql<Tag[]>`
    insert into customer_tags (site_id, name, color)
    values (${siteId}, ${name}, ${cleanColor(color)})
    on conflict (site_id, lower(name)) do update set name = customer_tags.name
    returning id, name, color`;
  return row;
}

/** Changes a tag's name or colour. */
export async function updateTag(
  sql: Sql,
  siteId: number,
  tagId: number,
  change: { name: string; color: string },
): Promise<Tag> {
  const name = cleanTagName(change.name);
  const color = cleanColor(change.color);
  await findTag(sql, siteId, tagId);
  const [clash] = await sql`
    select 1 from customer_tags
    where site_id = ${siteId} and lower(name) = lower(${name}) and id <> ${tagId}`;
  if (clash) throw new Invalid("name", `There is already a tag called "${name}".`);
  try {
    const [row] = await sql<Tag[]>`
      update customer_tags set name = ${name}, color = ${color}
      where site_id = ${siteId} and id = ${tagId} returning id, name, color`;
    if (!row) throw new NotFound("We couldn't find that tag.");
    return row;
  } catch (e) {
    // Two renames to one name at once: the second finds the name taken.
    if ((e as { code?: string }).code === "23505") {
      throw new Invalid("name", `There is already a tag called "${name}".`);
    }
    throw e;
  }
}

/** Deletes a tag from the site and from everyone carrying it. */
export async function deleteTag(sql: Sql, siteId: number, tagId: number): Promise<void> {
  await findTag(sql, siteId, tagId);
  await sql`delete from customer_tags where site_id = ${siteId} and id = ${tagId}`;
}

/** The tags one customer carries, by name. */
export async function customerTags(sql: Sql, siteId: number, customerId: number): Promise<Tag[]> {
  return await sql<Tag[]>`
    select t.id, t.name, t.color from customer_taggings g
    join customer_tags t on t.id = g.tag_id
    where g.site_id = ${siteId} and g.customer_id = ${customerId}
    order by lower(t.name), t.id`;
}

/** Puts a tag on customers of the site; returns how many newly carry it. */
export async function tagCustomers(
  sql: Sql,
  siteId: number,
  tagId: number,
  customerIds: number[],
): Promise<number> {
  if (customerIds.length === 0) return 0;
  const rows = await sql`
    insert into customer_taggings (site_id, customer_id, tag_id)
    select ${siteId}, c.id, t.id from customers c, customer_tags t
    where c.site_id = ${siteId} and c.id = any(${customerIds}::bigint[])
      and t.site_id = ${siteId} and t.id = ${tagId}
    on conflict (customer_id, tag_id) do nothing
    returning customer_id`;
  return rows.length;
}

/** Takes a tag off customers of the site; returns how many carried it. */
export async function untagCustomers(
  sql: Sql,
  siteId: number,
  tagId: number,
  customerIds: number[],
): Promise<number> {
  if (customerIds.length === 0) return 0;
  const rows = await sql`
    delete from customer_taggings
    where site_id = ${siteId} and tag_id = ${tagId}
      and customer_id = any(${customerIds}::bigint[])
    returning customer_id`;
  return rows.length;
}

/** Adds a tag (by name, created when new) to one customer. */
export async function addTagToCustomer(
  sql: Sql,
  siteId: number,
  customerId: number,
  name: string,
  color?: string,
): Promise<Tag> {
  await assertCustomer(sql, siteId, customerId);
  const tag = await ensureTag(sql, siteId, name, color);
  await tagCustomers(sql, siteId, tag.id, [customerId]);
  return tag;
}

/** The tags of several customers at once (a list page), by customer id. */
export async function tagsOfCustomers(
  sql: Sql,
  siteId: number,
  customerIds: number[],
): Promise<Map<number, Tag[]>> {
  const out = new Map<number, Tag[]>();
  if (customerIds.length === 0) return out;
  const rows = await sql<(Tag & { customer_id: number })[]>`
    select g.customer_id, t.id, t.name, t.color from customer_taggings g
    join customer_tags t on t.id = g.tag_id
    where g.site_id = ${siteId} and g.customer_id = any(${customerIds}::bigint[])
    order by lower(t.name), t.id`;
  for (const { customer_id, ...tag } of rows) {
    const list = out.get(customer_id) ?? [];
    list.push(tag);
    out.set(customer_id, list);
  }
  return out;
}
