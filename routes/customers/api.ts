/**
 * Segments and automations as JSON under /api/v1 (Bearer key, scoped to the key's sites): list,
 * read, count or preview a rule, a segment's members a page at a time; automations listed and
 * read without their secrets, switched on or off, and their run history.
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { Invalid } from "../../lib/errors.ts";
import { idParam } from "../forms.ts";
import {
  countSegment,
  findSegment,
  listSegments,
  parseRule,
  segmentWhere,
} from "../../customers/segments.ts";
import { listCustomers } from "../../customers/store.ts";
import { parseListParams } from "../../customers/query.ts";
import {
  type Automation,
  automationHistory,
  findAutomation,
  listAutomations,
  setEnabled,
} from "../../customers/automations.ts";

type C = Context<AppEnv>;

const noStore = { "Cache-Control": "no-store" };

/** Members per page of the members endpoint. */
const MEMBERS_PAGE = 50;

/** An automation as the API shows it: sealed Slack URLs and signing secrets stay inside. */
export function publicAutomation(a: Automation) {
  return {
    id: a.id,
    name: a.name,
    enabled: a.enabled,
    trigger: a.trigger,
    conditions: a.conditions,
    actions: a.actions.map((x) =>
      x.kind === "slack"
        ? { kind: x.kind, text: x.text }
        : x.kind === "webhook"
        ? { kind: x.kind, url: x.url }
        : x
    ),
    active_since: a.active_since,
    created_at: a.created_at,
  };
}

function site(c: C) {
  return c.get("site");
}

function sql(c: C) {
  return c.get("app").db.sql;
}

/** `?limit=` of the runs endpoint: 1–200, 50 when absent. */
function runsLimit(c: C): number {
  const raw = c.req.query("limit") ?? "50";
  if (!/^[1-9][0-9]{0,2}$/.test(raw) || Number(raw) > 200) {
    throw new Invalid("limit", "limit is a whole number from 1 to 200.");
  }
  return Number(raw);
}

/** Mounts the routes under `base` (`/api/v1/sites/:siteId`) with the key's site middleware. */
export function mountSegmentAutomationApi(
  app: Hono<AppEnv>,
  base: string,
  keyed: MiddlewareHandler<AppEnv>,
): void {
  const segments = `${base}/segments`;
  const segment = `${segments}/:segmentId{[0-9]+}`;
  app.get(segments, keyed, async (c) => {
    const list = await listSegments(sql(c), site(c).id);
    return c.json({ segments: list }, 200, noStore);
  });
  // A rule that is not saved: how many customers it matches now.
  app.get(`${segments}/preview`, keyed, async (c) => {
    const rule = parseRule(c.req.query("rule") ?? "");
    return c.json({ count: await countSegment(sql(c), site(c), rule) }, 200, noStore);
  });
  app.get(segment, keyed, async (c) => {
    const s = await findSegment(sql(c), site(c).id, idParam(c, "segmentId"));
    return c.json({ segment: s }, 200, noStore);
  });
  app.get(`${segment}/count`, keyed, async (c) => {
    const s = await findSegment(sql(c), site(c).id, idParam(c, "segmentId"));
    return c.json({ count: await countSegment(sql(c), site(c), s.rule) }, 200, noStore);
  });
  app.get(`${segment}/members`, keyed, async (c) => {
    const s = await findSegment(sql(c), site(c).id, idParam(c, "segmentId"));
    const params = parseListParams(new URL(c.req.url).searchParams);
    const { rows, total } = await listCustomers(sql(c), {
      siteId: site(c).id,
      search: params.search,
      status: params.status,
      tagId: params.tagId,
      where: segmentWhere(sql(c), s.rule, site(c).timezone),
      sort: params.sort,
      dir: params.dir,
      page: params.page,
      limit: MEMBERS_PAGE,
    });
    return c.json(
      { total, page: params.page, per_page: MEMBERS_PAGE, customers: rows },
      200,
      noStore,
    );
  });

  const automations = `${base}/automations`;
  const automation = `${automations}/:automationId{[0-9]+}`;
  app.get(automations, keyed, async (c) => {
    const list = await listAutomations(sql(c), site(c).id);
    return c.json({ automations: list.map(publicAutomation) }, 200, noStore);
  });
  app.get(automation, keyed, async (c) => {
    const a = await findAutomation(sql(c), site(c).id, idParam(c, "automationId"));
    return c.json({ automation: publicAutomation(a) }, 200, noStore);
  });
  for (const [verb, on] of [["enable", true], ["disable", false]] as const) {
    app.post(`${automation}/${verb}`, keyed, async (c) => {
      const id = idParam(c, "automationId");
      await setEnabled(sql(c), site(c).id, id, on);
      const a = await findAutomation(sql(c), site(c).id, id);
      return c.json({ automation: publicAutomation(a) }, 200, noStore);
    });
  }
  app.get(`${automation}/runs`, keyed, async (c) => {
    const id = idParam(c, "automationId");
    await findAutomation(sql(c), site(c).id, id);
    const runs = await automationHistory(sql(c), site(c).id, id, runsLimit(c));
    return c.json({ runs }, 200, noStore);
  });
}
