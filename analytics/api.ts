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

const metricValues = z.partialRecord(z.enum(METRICS), z.number().nullable()).describe(
  "Metric values. Money is in minor units of the site currency (cents); rates are percents; " +
    "visit_duration is seconds.",
);

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
            "200": { description: "The heatmap.", content: { "application/json": {} } },
            ...ERROR_RESPONSES,
          },
        },
      },
    },
  };
}
