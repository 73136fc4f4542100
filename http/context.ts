/** What every request handler can reach: the running app's services and per-request values. */
import type { Config } from "../config.ts";
import type { Database } from "../db/connect.ts";
import type { Bus } from "../bus/mod.ts";
import type { Logger } from "../lib/log.ts";
import type { SecretBox } from "../lib/crypto.ts";
import type { Server as SocketServer } from "socket.io";
import type { User } from "../accounts/users.ts";
import type { Site } from "../accounts/sites.ts";
import type { Org, Role } from "../accounts/orgs.ts";
import type { ApiKeyPrincipal } from "../accounts/api_keys.ts";

/** The services one running Sextant instance is made of. */
export interface AppContext {
  config: Config;
  db: Database;
  bus: Bus;
  log: Logger;
  secrets: SecretBox;
  /** Set once the realtime server is up. */
  io?: SocketServer;
  /** Hooks run during graceful shutdown, after HTTP stops accepting and before the DB closes. */
  onShutdown: Array<() => Promise<void>>;
  /**
   * Runs a background job soon instead of at its next interval; set once jobs are scheduled.
   * A write that creates work for a job calls it, so that work does not wait for the poll.
   */
  wake?: (job: string) => void;
}

/** Hono environment: bindings passed by the server and variables set by middleware. */
export interface AppEnv {
  Bindings: { remoteAddr?: string };
  Variables: {
    app: AppContext;
    requestId: string;
    /** CSP nonce for the page's inline module script. */
    nonce: string;
    /** Other origins this page's forms may lead to (CSP `form-action`), e.g. an approval screen. */
    formActions: string[];
    /** The signed-in user (null when signed out); set by loadUser. */
    user: User | null;
    /** The login session's id; set by loadUser when signed in. */
    sessionId: number | null;
    /** The site in the URL, already authorized; set by requireSite. */
    site: Site;
    /** The user's role in the site's organization; set by requireSite (or requireOrg). */
    role: Role;
    /** The organization in the URL, already authorized; set by requireOrg. */
    org: Org;
    /** Who the presented API key acts for; set by requireApiKey. */
    apiKey: ApiKeyPrincipal;
  };
}
