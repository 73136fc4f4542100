import assert from "node:assert/strict";
import * as esbuild from "esbuild";
import { buildTracker } from "../scripts/build.ts";

async function gzipSize(path: string): Promise<number> {
  const stream = (await Deno.open(path)).readable.pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

Deno.test("the tracker core stays within 2 KB and the heatmap module within 1.5 KB gzipped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sextant-tracker-" });
  try {
    const files = await buildTracker(new URL(`file://${dir}/`));
    const core = await gzipSize(files.tracker);
    const heatmap = await gzipSize(files.heatmap);
    console.log(`tracker core: ${core} bytes gzipped; heatmap module: ${heatmap} bytes gzipped`);
    assert.ok(core <= 2048, `tracker core is ${core} bytes gzipped (budget 2048)`);
    assert.ok(heatmap <= 1536, `heatmap module is ${heatmap} bytes gzipped (budget 1536)`);
  } finally {
    await esbuild.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
