/** Light, dark or system theme, remembered in a cookie so pages render right without script. */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";

export type Theme = "light" | "dark" | "system";
export const THEME_COOKIE = "sextant_theme";

/** The theme the visitor chose, "system" when none. */
export function readTheme(c: Context): Theme {
  const v = getCookie(c, THEME_COOKIE);
  return v === "light" || v === "dark" ? v : "system";
}
