/** The system Chromium, as screenshots and browser tests launch it (no browser download). */
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

/** Whether a Chromium binary exists at `path`. */
export function chromiumInstalled(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Launches Chromium with a throwaway profile, removed when the browser goes away. */
export async function launchChromium(path: string): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "sextant-chromium-" });
  const browser = await puppeteer.launch({
    executablePath: path,
    args: [...CHROMIUM_ARGS, `--user-data-dir=${profile}`],
    headless: true,
    // Over a pipe, Chromium exits with its parent process even when that is killed outright;
    // over a WebSocket it would be orphaned and keep burning CPU.
    pipe: true,
  });
  browser.once("disconnected", () => {
    Deno.remove(profile, { recursive: true }).catch(() => {});
  });
  return browser;
}
