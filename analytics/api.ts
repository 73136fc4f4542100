/**
 * The public stats API's answer shapes and its OpenAPI document, generated from the same zod
 * schemas that parse requests (query.ts), so the documentation cannot drift from the code.
 */
import { z } from "zod";
import type { Sql } from "../db/connect.ts";
import { DIMENSIONS, FILTER_OPS, METRICS } from "./dimensions.ts";
import {
  breakdownDimension,
  queryMetrics,
  type StatsQuery,
  statsQuerySchema,
  timeGranularity,
} from "./query.ts";
import { aggregate, breakdown, type StatsSite, timeseries } from "./stats.ts";
import { HEATMAP_MODES } from "./heatmaps.ts";
import { LAYOUTS } from "../lib/layout.ts";
import { goalInputSchema } from "./goals.ts";
import { FUNNEL_BREAKDOWNS, funnelInputSchema } from "./funnels.ts";

const metricValues = z.partialRecord(z.enum(METRICS), z.number().nullable()).describe(
  "Metric values. Money is in minor units of the site currency (cents); rates are percents; " +
    "visit_duration is seconds.",
);

const box = z.strictObject({
  x: z.number(),
  y: z.number(),
  width: z.number(),
  height: z.number(),
});

/** What GET /api/v1/sites/:siteId/heatmaps answers (analytics/heatmaps.ts HeatmapReport). */
export const heatmapResponseSchema = z.strictObject({
  page: z.string(),
  layout: z.enum(LAYOUTS),
  mode: z.enum(HEATMAP_MODES),
  width: z.number().int().describe(
    "Width of the layout's screenshot; positions are in its pixels.",
  ),
  cell: z.number().describe("Size of a grid cell in pixels (square cells, 64 across)."),
  height: z.number().describe("Tallest page seen, in pixels at `width`."),
  grid: z.array(z.strictObject({
    col: z.number().int(),
    row: z.number().int(),
    value: z.number().int().describe("Clicks (or pointer samples) in the cell."),
  })).describe("Non-empty cells of the density grid (empty for attention and scroll)."),
  max: z.number().describe("Highest cell (or attention band) value, for a colour scale."),
  totals: z.strictObject({
    clicks: z.number().int(),
    rage: z.number().int(),
    dead: z.number().int(),
    errors: z.number().int(),
    moves: z.number().int(),
  }),
  pageViews: z.number().int().describe("Page views with scroll records."),
  scroll: z.array(z.strictObject({
    depth: z.number().int().describe("Percent of the page, 0 to 100 in steps of 5."),
    pageViews: z.number().int(),
    share: z.number().describe("Share of page views that reached the depth, 0 to 1."),
  })),
  attention: z.array(z.number()).describe(
    "Seconds with each tenth of the page in view, top first.",
  ),
  elements: z.array(z.strictObject({
    selector: z.string(),
    clicks: z.number().int(),
    share: z.number().describe("Share of the mode's clicks, 0 to 1."),
    rage: z.number().int(),
    dead: z.number().int(),
    errors: z.number().int(),
    box: box.describe("The element's area in screenshot pixels (see outline)."),
    outline: z.enum(["element", "clicks"]).describe(
      "element: its real box, measured when the layout's screenshot was taken; clicks: the " +
        "area its clicks fell in (no screenshot, or the selector was not found on it).",
    ),
  })).describe("Most clicked elements, most first (at most 50)."),
  screenshots: z.array(z.strictObject({
    layout: z.enum(LAYOUTS),
    status: z.enum(["pending", "rendering", "done", "failed"]),
    error: z.string().nullable(),
    width: z.number().int(),
    height: z.number().int(),
    bytes: z.number().int(),
    taken_at: z.string().nullable(),
  })).describe("The page's screenshots per layout and their state."),
});

export const statsResponseSchema = z.object({
  site_id: z.number().int(),
  currency: z.string().describe("ISO currency code of every money amount."),
  timezone: z.string(),
  period: z.object({
    name: z.string(),
    label: z.string(),
    first_day: z.string(),
    last_day: z.string(),
    from: z.string().describe("ISO instant the period starts (inclusive)."),
    to: z.string().describe("ISO instant the period ends (exclusive)."),
  }),
  metrics: z.array(z.enum(METRICS)),
  filters: z.array(z.object({ dimension: z.string(), op: z.string(), value: z.string() })),
  totals: metricValues.optional().describe("Without a dimension: totals for the period."),
  previous: metricValues.nullable().optional().describe(
    "Without a dimension: the same totals for the period just before (null for all time).",
  ),
  dimension: z.string().optional(),
  granularity: z.string().optional(),
  results: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))).optional()
    .describe(
      "With a dimension: one object per row (or time bucket) holding the dimension's value " +
        "under its name and each metric. The revenue row no visit explains has value null.",
    ),
  total_rows: z.number().int().optional(),
  page: z.number().int().optional(),
  limit: z.number().int().optional(),
});

export type StatsResponse = z.infer<typeof statsResponseSchema>;

/** Runs one API query: totals, a time series or a breakdown depending on the dimension. */
export async function runStatsQuery(
  sql: Sql,
  site: StatsSite,
  q: StatsQuery,
  opts: { now?: Date } = {},
): Promise<StatsResponse> {
  const metrics = queryMetrics(q);
  const dim = breakdownDimension(q);
  const common = (
    p: {
      name: string;
      label: string;
      firstDay: string;
      lastDay: string;
      from: Date;
      to: Date;
      timezone: string;
    },
  ) => ({
    site_id: site.id,
    currency: site.currency,
    timezone: p.timezone,
    period: {
      name: p.name,
      label: p.label,
      first_day: p.firstDay,
      last_day: p.lastDay,
      from: p.from.toISOString(),
      to: p.to.toISOString(),
    },
    metrics,
    filters: q.filters,
  });
  if (dim) {
    const r = await breakdown(sql, site, q, opts);
    return {
      ...common(r.period),
      dimension: dim,
      results: r.rows.map((row) => ({ [dim]: row.value, ...row.values })),
      total_rows: r.totalRows,
      page: r.page,
      limit: r.limit,
    };
  }
  if (timeGranularity(q)) {
    const r = await timeseries(sql, site, q, opts);
    return {
      ...common(r.period),
      dimension: "time",
      granularity: r.granularity,
      results: r.points.map((p) => ({ time: p.bucket, ...p.values })),
    };
  }
  const r = await aggregate(sql, site, q, opts);
  return { ...common(r.period), totals: r.totals, previous: r.previous };
}

function schemaOf(s: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io: "input" }) as Record<string, unknown>;
  return rest;
}

/** The answers every API route may give besides 200. */
const ERROR_RESPONSES = {
  "400": {
    description: "A parameter is wrong; the error says which and how to fix it.",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
  "401": { description: "Missing, unknown or revoked API key." },
  "404": { description: "No such site for this key." },
  "429": { description: "Too many requests; see Retry-After." },
};

/** The OpenAPI 3.1 document served at /api/openapi.json (stats and heatmaps). */
export function openApiDocument(serverUrl: string): Record<string, unknown> {
  const shape = statsQuerySchema.shape;
  const param = (name: string, schema: Record<string, unknown>, description: string) => ({
    name,
    in: "query",
    required: false,
    description,
    schema,
  });
  const dimensionList = DIMENSIONS.join(", ");
  return {
    openapi: "3.1.0",
    info: {
      title: "Sextant Stats API",
      version: "1.0.0",
      description:
        "Read your site's analytics: the same numbers the dashboard shows, from the same query " +
        "code. Authenticate with an API key from your account (Authorization: Bearer sx_…). " +
        "A key reads only its organization's sites, or its one site when it is limited to one. " +
        "Requests are rate limited per key; a 429 answer says when to retry (Retry-After).",
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "sx_…" } },
      schemas: {
        StatsQuery: schemaOf(statsQuerySchema),
        StatsResponse: schemaOf(statsResponseSchema),
        HeatmapResponse: schemaOf(heatmapResponseSchema),
        GoalInput: schemaOf(goalInputSchema),
        FunnelInput: schemaOf(funnelInputSchema),
        Funnel: {
          type: "object",
          properties: {
            id: { type: "integer" },
            ...(schemaOf(funnelInputSchema).properties as Record<string, unknown>),
          },
        },
        FunnelReport: {
          type: "object",
          description: "A funnel with its results. Counts are visits (session funnels) or " +
            "people (day-window funnels, devices joined by identify()); step 1 happens in the " +
            "period, later steps may follow within the visit or window.",
          properties: {
            period: { type: "object" },
            result: { $ref: "#/components/schemas/FunnelResult" },
            previous: {
              anyOf: [{ $ref: "#/components/schemas/FunnelResult" }, { type: "null" }],
              description: "The range compared with (compare=1 or compare_from/compare_to).",
            },
            compared_with: {
              type: ["object", "null"],
              description: "Which range previous covers: label, from and to (instants).",
              properties: {
                label: { type: "string" },
                from: { type: "string", format: "date-time" },
                to: { type: "string", format: "date-time" },
              },
            },
            breakdown: {
              type: ["object", "null"],
              properties: {
                by: { type: "string", enum: [...FUNNEL_BREAKDOWNS] },
                rows: {
                  type: "array",
                  items: {
                    type: "object",
                    properties: {
                      value: { type: "string" },
                      steps: { type: "array", items: { $ref: "#/components/schemas/FunnelStep" } },
                      conversion_rate: { type: ["number", "null"] },
                    },
                  },
                },
              },
            },
          },
        },
        FunnelResult: {
          type: "object",
          properties: {
            steps: { type: "array", items: { $ref: "#/components/schemas/FunnelStep" } },
            conversion_rate: { type: ["number", "null"], description: "Last step ÷ first, %." },
          },
        },
        FunnelStep: {
          type: "object",
          properties: {
            count: { type: "integer" },
            percent: { type: ["number", "null"], description: "Of the first step." },
            dropoff: { type: "integer", description: "Lost before the next step." },
            median_seconds: {
              type: ["integer", "null"],
              description: "Median time from the previous step.",
            },
          },
        },
        Goal: {
          type: "object",
          description: "A goal as stored, with its definition in words.",
          properties: {
            id: { type: "integer" },
            ...(schemaOf(goalInputSchema).properties as Record<string, unknown>),
            description: { type: "string", examples: ["Visits /blog/**"] },
          },
        },
        GoalList: {
          type: "object",
          properties: {
            site_id: { type: "integer" },
            currency: { type: "string" },
            period: { type: "object" },
            goals: {
              type: "array",
              items: {
                allOf: [{ $ref: "#/components/schemas/Goal" }, {
                  type: "object",
                  properties: {
                    visitors: { type: "integer", description: "Visitors who completed it." },
                    completions: { type: "integer" },
                    conversion_rate: {
                      type: ["number", "null"],
                      description: "Converting visitors ÷ all visitors, in percent.",
                    },
                    revenue: {
                      type: "integer",
                      description: "Purchases by the converting visitors, site minor units.",
                    },
                    median_seconds_to_convert: {
                      type: ["integer", "null"],
                      description: "Median time from first visit to first completion.",
                    },
                  },
                }],
              },
            },
          },
        },
        Error: {
          type: "object",
          properties: { error: { type: "string" }, code: { type: "string" } },
          required: ["error"],
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      "/api/v1/sites/{siteId}/stats": {
        get: {
          operationId: "getStats",
          summary: "Totals, a time series or a breakdown for a site",
          parameters: [
            { name: "siteId", in: "path", required: true, schema: { type: "integer" } },
            param("period", schemaOf(shape.period), "Reporting period (default 30d)."),
            param("from", schemaOf(shape.from), "First day of a custom period."),
            param("to", schemaOf(shape.to), "Last day of a custom period, inclusive."),
            param("timezone", { type: "string" }, "IANA time zone; defaults to the site's."),
            {
              ...param(
                "filter",
                {
                  type: "array",
                  items: {
                    type: "string",
                    pattern: `^(${DIMENSIONS.join("|")}):(${FILTER_OPS.join("|")}):.*$`,
                  },
                },
                "Repeatable. dimension:op:value, e.g. source:is:Google or page:contains:/blog. " +
                  "Filters combine (and).",
              ),
              explode: true,
            },
            param(
              "dimension",
              schemaOf(shape.dimension),
              `One of ${dimensionList}, or time / time:hour|day|week|month for a time series. ` +
                "Absent: totals.",
            ),
            param(
              "metrics",
              { type: "string", examples: ["visitors,revenue,conversion_rate"] },
              `Comma-separated; any of ${METRICS.join(", ")} the dimension supports.`,
            ),
            param(
              "sort",
              { type: "string", examples: ["revenue:desc"] },
              "Breakdowns: metric[:asc|desc] (default visitors:desc).",
            ),
            param("page", schemaOf(shape.page), "Breakdowns: page number."),
            param("limit", schemaOf(shape.limit), "Breakdowns: rows per page (max 1000)."),
          ],
          responses: {
            "200": {
              description: "The numbers.",
              content: {
                "application/json": { schema: { $ref: "#/components/schemas/StatsResponse" } },
              },
            },
            ...ERROR_RESPONSES,
          },
        },
      },
      "/api/v1/sites/{siteId}/heatmaps": {
        get: {
          operationId: "getHeatmap",
          summary: "Click, move and attention density, scroll reach and clicked elements of a page",
          description: "Positions are in pixels of the layout's screenshot width (1440 desktop, " +
            "820 tablet, 390 mobile): `grid` holds cells of `cell` pixels (column, row, value), " +
            "`scroll` the share of page views reaching each depth, `attention` seconds per " +
            "tenth of the page, `elements` the most clicked elements with rage and dead clicks.",
          parameters: [
            { name: "siteId", in: "path", required: true, schema: { type: "integer" } },
            {
              name: "page",
              in: "query",
              required: true,
              description: "The page's path, like /pricing.",
              schema: { type: "string" },
            },
            param("layout", { enum: [...LAYOUTS] }, "desktop (default), tablet or mobile."),
            param(
              "kind",
              { enum: [...HEATMAP_MODES] },
              "What the grid counts (default clicks); `mode` is accepted too.",
            ),
            param("period", schemaOf(shape.period), "Reporting period (default 30d)."),
            param("from", schemaOf(shape.from), "First day of a custom period."),
            param("to", schemaOf(shape.to), "Last day of a custom period, inclusive."),
            {
              ...param(
                "filter",
                { type: "array", items: { type: "string" } },
                "Repeatable dimension:op:value filters, as for /stats; they choose visits.",
              ),
              explode: true,
            },
          ],
          responses: {
            "200": {
              description: "The heatmap.",
              content: {
                "application/json": { schema: { $ref: "#/components/schemas/HeatmapResponse" } },
              },
            },
            ...ERROR_RESPONSES,
          },
        },
      },
      ...goalPaths(param, shape),
      ...funnelPaths(param, shape),
      ...explorePaths(param, shape),
      ...segmentAutomationPaths(),
    },
  };
}

const ERRORS = {
  "400": {
    description: "The input is wrong; the error says which field and how to fix it.",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
  "401": { description: "Missing, unknown or revoked API key." },
  "404": { description: "No such site (or goal) for this key." },
  "429": { description: "Too many requests; see Retry-After." },
};

function json(ref: string, description: string) {
  return {
    description,
    content: { "application/json": { schema: { $ref: `#/components/schemas/${ref}` } } },
  };
}

/** Goals: list with numbers, create, read, replace, delete. */
function goalPaths(
  param: (name: string, schema: Record<string, unknown>, description: string) => unknown,
  shape: typeof statsQuerySchema.shape,
): Record<string, unknown> {
  const siteId = { name: "siteId", in: "path", required: true, schema: { type: "integer" } };
  const goalId = { name: "goalId", in: "path", required: true, schema: { type: "integer" } };
  const body = {
    required: true,
    content: { "application/json": { schema: { $ref: "#/components/schemas/GoalInput" } } },
  };
  return {
    "/api/v1/sites/{siteId}/goals": {
      get: {
        operationId: "listGoals",
        summary: "The site's goals with their conversions for a period",
        description: "Computed from past data at read time; filters choose visits as in stats.",
        parameters: [
          siteId,
          param("period", schemaOf(shape.period), "Reporting period (default 30d)."),
          param("from", schemaOf(shape.from), "First day of a custom period."),
          param("to", schemaOf(shape.to), "Last day of a custom period, inclusive."),
          {
            ...(param(
              "filter",
              { type: "array", items: { type: "string" } },
              "Repeatable dimension:op:value, as for stats.",
            ) as Record<string, unknown>),
            explode: true,
          },
        ],
        responses: { "200": json("GoalList", "The goals and their numbers."), ...ERRORS },
      },
      post: {
        operationId: "createGoal",
        summary: "Add a goal (sending the same definition again returns the same goal)",
        parameters: [siteId],
        requestBody: body,
        responses: {
          "201": json("Goal", "The goal."),
          ...ERRORS,
          "409": { description: "Another goal already has that name." },
        },
      },
    },
    "/api/v1/sites/{siteId}/goals/{goalId}": {
      get: {
        operationId: "getGoal",
        summary: "One goal",
        parameters: [siteId, goalId],
        responses: { "200": json("Goal", "The goal."), ...ERRORS },
      },
      put: {
        operationId: "updateGoal",
        summary: "Replace a goal's definition (its past numbers follow)",
        parameters: [siteId, goalId],
        requestBody: body,
        responses: {
          "200": json("Goal", "The goal."),
          ...ERRORS,
          "409": { description: "Another goal already has that name." },
        },
      },
      delete: {
        operationId: "deleteGoal",
        summary: "Delete a goal ({deleted: false} when it was already gone)",
        parameters: [siteId, goalId],
        responses: { "200": { description: "Whether a goal was deleted." }, ...ERRORS },
      },
    },
  };
}

/** Funnels: list, create, report (with breakdown and comparison), replace, delete. */
function funnelPaths(
  param: (name: string, schema: Record<string, unknown>, description: string) => unknown,
  shape: typeof statsQuerySchema.shape,
): Record<string, unknown> {
  const siteId = { name: "siteId", in: "path", required: true, schema: { type: "integer" } };
  const funnelId = { name: "funnelId", in: "path", required: true, schema: { type: "integer" } };
  const body = {
    required: true,
    content: { "application/json": { schema: { $ref: "#/components/schemas/FunnelInput" } } },
  };
  return {
    "/api/v1/sites/{siteId}/funnels": {
      get: {
        operationId: "listFunnels",
        summary: "The site's saved funnels",
        parameters: [siteId],
        responses: { "200": { description: "{site_id, funnels: Funnel[]}" }, ...ERRORS },
      },
      post: {
        operationId: "createFunnel",
        summary: "Save a funnel (sending the same definition again returns the same funnel)",
        parameters: [siteId],
        requestBody: body,
        responses: {
          "201": json("Funnel", "The funnel."),
          ...ERRORS,
          "409": { description: "Another funnel already has that name." },
        },
      },
    },
    "/api/v1/sites/{siteId}/funnels/{funnelId}": {
      get: {
        operationId: "getFunnel",
        summary: "A funnel and its results for a period",
        parameters: [
          siteId,
          funnelId,
          param("period", schemaOf(shape.period), "Reporting period (default 30d)."),
          param("from", schemaOf(shape.from), "First day of a custom period."),
          param("to", schemaOf(shape.to), "Last day of a custom period, inclusive."),
          param("by", { type: "string", enum: [...FUNNEL_BREAKDOWNS] }, "Break down by."),
          param("compare", { type: "string", enum: ["1"] }, "Also the period before."),
          param(
            "compare_from",
            schemaOf(shape.from),
            "Compare with another range instead: its first day (with compare_to).",
          ),
          param("compare_to", schemaOf(shape.to), "Last day of the range to compare with."),
        ],
        responses: { "200": json("FunnelReport", "The funnel and its numbers."), ...ERRORS },
      },
      put: {
        operationId: "updateFunnel",
        summary: "Replace a funnel's definition",
        parameters: [siteId, funnelId],
        requestBody: body,
        responses: { "200": json("Funnel", "The funnel."), ...ERRORS },
      },
      delete: {
        operationId: "deleteFunnel",
        summary: "Delete a funnel ({deleted: false} when it was already gone)",
        parameters: [siteId, funnelId],
        responses: { "200": { description: "Whether a funnel was deleted." }, ...ERRORS },
      },
    },
  };
}

/** Paths, cohorts and event properties (read only). */
function explorePaths(
  param: (name: string, schema: Record<string, unknown>, description: string) => unknown,
  shape: typeof statsQuerySchema.shape,
): Record<string, unknown> {
  const siteId = { name: "siteId", in: "path", required: true, schema: { type: "integer" } };
  const period = [
    param("period", schemaOf(shape.period), "Reporting period (default 30d)."),
    param("from", schemaOf(shape.from), "First day of a custom period."),
    param("to", schemaOf(shape.to), "Last day of a custom period, inclusive."),
  ];
  const ok = (description: string) => ({ "200": { description }, ...ERRORS });
  return {
    "/api/v1/sites/{siteId}/paths": {
      get: {
        operationId: "getPaths",
        summary: "Pages before and after a page; the top paths to a goal",
        parameters: [
          siteId,
          ...period,
          param(
            "page_path",
            { type: "string" },
            "A path or pattern (* and **): next and " +
              "previous pages in the same visit, with (exit) and (entrance).",
          ),
          param(
            "goal",
            { type: "integer" },
            "A goal id: each visit's last 3 pages up to its " +
              "first completion, counted by sequence.",
          ),
        ],
        responses: ok(
          "{next, previous, paths_to_goal}: lists of {page, count, visits} and " +
            "{pages, conversions}.",
        ),
      },
    },
    "/api/v1/sites/{siteId}/cohorts": {
      get: {
        operationId: "getCohorts",
        summary: "Acquisition cohorts with their retention grid and revenue",
        parameters: [
          siteId,
          param("unit", { type: "string", enum: ["week", "month"] }, "Cohort size (week)."),
          param(
            "by",
            { type: "string", enum: ["first_visit", "first_purchase"] },
            "What puts a visitor in a cohort (first_visit).",
          ),
          param("periods", { type: "integer", minimum: 1, maximum: 24 }, "How many cohorts."),
          param("source", { type: "string" }, "Only visitors whose first visit had this source."),
          param(
            "split",
            { type: "string", enum: ["source"] },
            "A grid per first source: every row then carries its source.",
          ),
        ],
        responses: ok(
          "{cohorts: [{cohort, source (with split), size, retention: [% per period after], revenue}]}",
        ),
      },
    },
    "/api/v1/sites/{siteId}/properties": {
      get: {
        operationId: "getEventProperties",
        summary: "A custom event's property keys, or one key's values with their conversion",
        parameters: [
          siteId,
          ...period,
          param("event", { type: "string" }, "The custom event's name."),
          param("key", { type: "string" }, "A property key; absent: the list of keys."),
          param(
            "goal",
            { type: "integer" },
            "Conversion to this goal per value (else share " +
              "of all visitors).",
          ),
          {
            ...(param(
              "filter",
              { type: "array", items: { type: "string" } },
              "As for stats.",
            ) as Record<string, unknown>),
            explode: true,
          },
        ],
        responses: ok(
          "{keys: [{key, events}]} or {values: [{value, events, visitors, " +
            "converted, conversion_rate}]}",
        ),
      },
    },
  };
}

/** Customer segments and automations (routes/customers/api.ts). */
function segmentAutomationPaths(): Record<string, unknown> {
  const path = (name: string) => ({
    name,
    in: "path",
    required: true,
    schema: { type: "integer" },
  });
  const query = (name: string, schema: Record<string, unknown>, description: string) => ({
    name,
    in: "query",
    required: false,
    schema,
    description,
  });
  const ok = (description: string) => ({ "200": { description }, ...ERRORS });
  const siteId = path("siteId");
  const segmentId = path("segmentId");
  const automationId = path("automationId");
  const toggle = (on: boolean) => ({
    post: {
      operationId: on ? "enableAutomation" : "disableAutomation",
      summary: on
        ? "Switch an automation on (it acts on what happens from now on)"
        : "Switch an automation off",
      parameters: [siteId, automationId],
      responses: ok("{automation}"),
    },
  });
  return {
    "/api/v1/sites/{siteId}/segments": {
      get: {
        operationId: "listSegments",
        summary: "The site's saved customer segments with their rules",
        parameters: [siteId],
        responses: ok("{segments: [{id, name, rule, created_at, updated_at}]}"),
      },
    },
    "/api/v1/sites/{siteId}/segments/preview": {
      get: {
        operationId: "previewSegment",
        summary: "How many customers a rule matches now, without saving it",
        parameters: [
          siteId,
          {
            ...query(
              "rule",
              { type: "string" },
              'The rule as JSON: {"match": "all"|"any", "conditions": [{field, op, value} or ' +
                "a group]}; fields and operators as in docs/customers.md.",
            ),
            required: true,
          },
        ],
        responses: ok("{count}"),
      },
    },
    "/api/v1/sites/{siteId}/segments/{segmentId}": {
      get: {
        operationId: "getSegment",
        summary: "One saved segment",
        parameters: [siteId, segmentId],
        responses: ok("{segment: {id, name, rule, created_at, updated_at}}"),
      },
    },
    "/api/v1/sites/{siteId}/segments/{segmentId}/count": {
      get: {
        operationId: "countSegment",
        summary: "How many customers a saved segment matches now",
        parameters: [siteId, segmentId],
        responses: ok("{count}"),
      },
    },
    "/api/v1/sites/{siteId}/segments/{segmentId}/members": {
      get: {
        operationId: "listSegmentMembers",
        summary: "A page (50) of the customers a saved segment matches",
        parameters: [
          siteId,
          segmentId,
          query("q", { type: "string" }, "Part of an email or name."),
          query("sort", {
            type: "string",
            enum: ["revenue", "last_active", "joined", "engagement", "email"],
          }, "Order (joined)."),
          query("dir", { type: "string", enum: ["asc", "desc"] }, "Direction."),
          query("page", { type: "integer", minimum: 1 }, "Page number (1)."),
        ],
        responses: ok("{total, page, per_page, customers: Customer[]}"),
      },
    },
    "/api/v1/sites/{siteId}/automations": {
      get: {
        operationId: "listAutomations",
        summary: "The site's automations (Slack URLs and signing secrets left out)",
        parameters: [siteId],
        responses: ok(
          "{automations: [{id, name, enabled, trigger, conditions, actions, active_since, " +
            "created_at}]}",
        ),
      },
    },
    "/api/v1/sites/{siteId}/automations/{automationId}": {
      get: {
        operationId: "getAutomation",
        summary: "One automation",
        parameters: [siteId, automationId],
        responses: ok("{automation}"),
      },
    },
    "/api/v1/sites/{siteId}/automations/{automationId}/enable": toggle(true),
    "/api/v1/sites/{siteId}/automations/{automationId}/disable": toggle(false),
    "/api/v1/sites/{siteId}/automations/{automationId}/runs": {
      get: {
        operationId: "listAutomationRuns",
        summary: "The newest runs of an automation, with each action's result",
        parameters: [
          siteId,
          automationId,
          query("limit", { type: "integer", minimum: 1, maximum: 200 }, "How many (50)."),
        ],
        responses: ok(
          "{runs: [{id, customer_id, email, trigger_key, status, results, created_at}]}",
        ),
      },
    },
  };
}
