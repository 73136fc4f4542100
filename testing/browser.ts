/** Headless Chromium for end-to-end tests and screenshots (the system browser, no download). */
import puppeteer, { type Browser } from "puppeteer-core";

/** Flags that keep Chromium quiet and offline-friendly on a server. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--headless=new",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
  "--disable-dev-shm-usage",
];

export function chromiumPath(): string {
  return Deno.env.get("CHROMIUM_PATH") || "/usr/bin/chromium";
}

/** Whether a Chromium binary is installed here. */
export function hasChromium(): boolean {
  try {
    return Deno.statSync(chromiumPath()).isFile;
  } catch {
    return false;
  }
}

/** Launches Chromium with a throwaway profile. */
export async function launchBrowser(): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "sextant-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    args: [...CHROMIUM_ARGS, `--user-data-dir=${profile}`],
    headless: true,
    // Over a pipe, Chromium exits with the test process even when that is killed outright;
    // over a WebSocket it would be orphaned and keep burning CPU.
    pipe: true,
  });
  browser.once("disconnected", () => {
    Deno.remove(profile, { recursive: true }).catch(() => {});
  });
  return browser;
}
