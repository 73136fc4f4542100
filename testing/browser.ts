/** Headless Chromium for end-to-end tests and screenshots (the system browser, no download). */
import type { Browser } from "puppeteer-core";
import { chromiumInstalled, launchChromium } from "../lib/chromium.ts";

export function chromiumPath(): string {
  return Deno.env.get("CHROMIUM_PATH") || "/usr/bin/chromium";
}

/** Whether a Chromium binary is installed here. */
export function hasChromium(): boolean {
  return chromiumInstalled(chromiumPath());
}

/** Launches Chromium with a throwaway profile. */
export function launchBrowser(): Promise<Browser> {
  return launchChromium(chromiumPath());
}

/** Where browser tests put screenshots: SCREENSHOT_DIR (docs/screenshots to refresh the committed ones), else tmp. */
export const SCREENSHOT_DIR = Deno.env.get("SCREENSHOT_DIR") ??
  `${Deno.env.get("TMPDIR") ?? "/tmp"}/sextant-revenue-screenshots`;
