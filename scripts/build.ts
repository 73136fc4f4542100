/**
 * `deno task build`: bundles islands (one shared Preact chunk, hashed names), the stylesheet and
 * the tracker into static/build/, and writes manifest.json. `--watch` rebuilds on change.
 */
import * as esbuild from "esbuild";
import type { Manifest } from "../http/assets.ts";
import { buildLiveAssets } from "./build_live.ts";

const root = new URL("../", import.meta.url);
const out = new URL("static/build/", root);

async function islandEntries(): Promise<string[]> {
  const dir = new URL("islands/", root);
  const entries: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /\.tsx?$/.test(e.name) && !/_test\.tsx?$/.test(e.name)) {
      entries.push(new URL(e.name, dir).pathname);
    }
  }
  return entries.sort();
}

function sharedOptions(): esbuild.BuildOptions {
  return {
    bundle: true,
    format: "esm",
    target: ["es2020", "safari15"],
    minify: true,
    legalComments: "none",
    jsx: "automatic",
    jsxImportSource: "preact",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
    absWorkingDir: root.pathname,
  };
}

/**
 * The tracker (core and heatmap module): classic scripts for any browser a visitor may use,
 * served at stable URLs (/s.js, /s/heatmap.js); the manifest records their hashed files.
 */
export async function buildTracker(outDir: URL = out): Promise<Record<string, string>> {
  const result = await esbuild.build({
    entryPoints: {
      tracker: new URL("tracker/core.ts", root).pathname,
      heatmap: new URL("tracker/heatmap.ts", root).pathname,
    },
    bundle: true,
    // Plain classic scripts: the sources are self-invoking, so no wrapper is needed.
    format: "esm",
    target: ["es2018"],
    minify: true,
    legalComments: "none",
    logLevel: "silent",
    outdir: outDir.pathname,
    entryNames: "[name]-[hash]",
    metafile: true,
    absWorkingDir: root.pathname,
  });
  const files: Record<string, string> = {};
  for (const [file, meta] of Object.entries(result.metafile!.outputs)) {
    if (!meta.entryPoint) continue;
    const name = meta.entryPoint.includes("heatmap") ? "heatmap" : "tracker";
    // URLs for the manifest; absolute file paths when building elsewhere (size test).
    files[name] = outDir === out
      ? "/" + file.replace(/^.*?static\//, "static/")
      : new URL(file, root).pathname;
  }
  return files;
}

/** Builds everything once and returns the manifest. */
export async function build(): Promise<Manifest> {
  await Deno.remove(out, { recursive: true }).catch(() => {});
  await Deno.mkdir(out, { recursive: true });
  const islands = await islandEntries();
  const app = await esbuild.build({
    ...sharedOptions(),
    entryPoints: [
      ...islands,
      new URL("lib/island_client.ts", root).pathname,
      new URL("static/app.css", root).pathname,
    ],
    splitting: true,
    outdir: out.pathname,
    entryNames: "[name]-[hash]",
    chunkNames: "chunks/[name]-[hash]",
    metafile: true,
    sourcemap: false,
  });
  const manifest: Manifest = { islands: {}, runtime: "", css: "", files: {} };
  for (const [file, meta] of Object.entries(app.metafile!.outputs)) {
    if (!meta.entryPoint) continue;
    const url = "/" + file.replace(/^.*?static\//, "static/");
    const name = meta.entryPoint.split("/").pop()!.replace(/\.(tsx?|css)$/, "");
    // Lazily imported modules under islands/ (islands/live/…) are chunks, not islands.
    if (/^islands\/[^/]+$/.test(meta.entryPoint)) manifest.islands[name] = url;
    else if (name === "island_client") manifest.runtime = url;
    else if (name === "app") manifest.css = url;
  }
  Object.assign(manifest.files, await buildLiveAssets(out));
  manifest.files = { ...manifest.files, ...await buildTracker() };
  await Deno.writeTextFile(new URL("manifest.json", out), JSON.stringify(manifest, null, 2));
  return manifest;
}

if (import.meta.main) {
  const t0 = performance.now();
  const m = await build();
  console.log(
    `built ${Object.keys(m.islands).length} islands in ${Math.round(performance.now() - t0)} ms`,
  );
  await esbuild.stop();
}
