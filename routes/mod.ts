/** Every route of the app, registered feature by feature. */
import type { Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { registerHealth } from "./health.ts";
import { registerStatic } from "./static.ts";
import { registerTheme } from "./theme.ts";
import { registerHome } from "./home.tsx";
import { registerLive } from "./live.tsx";
import { registerDashboard } from "./dashboard.tsx";
import { registerShare } from "./share.tsx";
import { registerStatsApi } from "./stats_api.ts";
import { registerPrivacyApi } from "./privacy_api.ts";
import { registerAccounts } from "./accounts.ts";
import { registerCollect } from "./collect.ts";
import { registerTracker } from "./tracker.ts";
import { registerRevenue } from "./revenue.tsx";
import { registerHeatmaps } from "./heatmaps.tsx";
import { registerGoals } from "./goals.tsx";
import { registerFunnels } from "./funnels.tsx";
import { registerExplore } from "./explore.tsx";
import { registerCustomers } from "./customers/mod.ts";
import { registerAlerts } from "./alerts.tsx";
import { registerImport } from "./sites/import.tsx";
import { registerDigests } from "./digests.tsx";

export function registerRoutes(app: Hono<AppEnv>): void {
  registerHealth(app);
  registerStatic(app);
  registerTheme(app);
  registerHome(app);
  registerLive(app);
  registerDashboard(app);
  registerShare(app);
  registerStatsApi(app);
  registerPrivacyApi(app);
  registerAccounts(app);
  registerCollect(app);
  registerTracker(app);
  registerRevenue(app);
  registerHeatmaps(app);
  registerGoals(app);
  registerFunnels(app);
  registerExplore(app);
  registerCustomers(app);
  registerAlerts(app);
  registerImport(app);
  registerDigests(app);
}
