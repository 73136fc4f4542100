/** Every account, team, site-management and onboarding route (one line in routes/mod.ts). */
import type { Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { registerAuthPages } from "./auth/pages.tsx";
import { registerAccount } from "./account/account.tsx";
import { registerTeam } from "./orgs/team.tsx";
import { registerInvites } from "./orgs/invites.tsx";
import { registerApiKeys } from "./orgs/api_keys.tsx";
import { registerSiteList } from "./sites/list.tsx";
import { registerSiteSettings } from "./sites/settings.tsx";
import { registerInstall } from "./sites/install.tsx";
import { registerOnboarding } from "./sites/onboarding.ts";
import { registerDevMail } from "./dev_mail.tsx";

export function registerAccounts(app: Hono<AppEnv>): void {
  registerAuthPages(app);
  registerAccount(app);
  registerTeam(app);
  registerInvites(app);
  registerApiKeys(app);
  registerSiteList(app);
  registerSiteSettings(app);
  registerInstall(app);
  registerOnboarding(app);
  registerDevMail(app);
}
