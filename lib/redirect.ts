/** Only same-site paths are followed after an action, so links cannot bounce users elsewhere. */
export function safeRedirectPath(target: string | undefined, fallback = "/"): string {
  if (!target || !target.startsWith("/") || target.startsWith("//") || target.includes("\\")) {
    return fallback;
  }
  return target;
}
