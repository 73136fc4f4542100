/** The build manifest: hashed URLs of CSS, island bundles and the hydration runtime. */

export interface Manifest {
  /** Island name → URL of its module. */
  islands: Record<string, string>;
  /** URL of the module that hydrates islands. */
  runtime: string;
  /** URL of the stylesheet. */
  css: string;
  /** Other named bundles (tracker and friends): name → URL. */
  files: Record<string, string>;
}

export const BUILD_DIR = new URL("../static/build/", import.meta.url);
const MANIFEST = new URL("manifest.json", BUILD_DIR);

let cached: Manifest | undefined;
let reloadEachTime = false;

/** In development the manifest is re-read on every render so rebuilt bundles show up. */
export function setManifestReload(on: boolean): void {
  reloadEachTime = on;
}

/** The current manifest; throws a clear error when the bundles were never built. */
export function manifest(): Manifest {
  if (cached && !reloadEachTime) return cached;
  try {
    cached = JSON.parse(Deno.readTextFileSync(MANIFEST)) as Manifest;
  } catch {
    throw new Error("Client bundles are missing: run `deno task build` (start does it for you).");
  }
  return cached;
}
