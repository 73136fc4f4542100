/**
 * Build step for the live view's static assets, all shipped with the app so nothing is fetched
 * from elsewhere: world countries as GeoJSON for the globe, the same outlines as a flat SVG for
 * small screens, and MapLibre's worker (content-hashed like every bundle).
 */
type Ring = number[][];
type Polygon = Ring[];

/** The parts of a quantized TopoJSON topology that world-atlas uses. */
interface Topology {
  transform: { scale: [number, number]; translate: [number, number] };
  arcs: number[][][];
  objects: Record<string, {
    geometries: Array<{
      type: "Polygon" | "MultiPolygon";
      arcs: number[][] | number[][][];
      properties?: { name?: string };
    }>;
  }>;
}

/** Arcs as absolute longitude/latitude (they are stored delta-encoded and quantized). */
function decodeArcs(topo: Topology): Ring[] {
  const { scale, translate } = topo.transform;
  return topo.arcs.map((arc) => {
    let x = 0, y = 0;
    return arc.map(([dx, dy]) => {
      x += dx;
      y += dy;
      return [x * scale[0] + translate[0], y * scale[1] + translate[1]];
    });
  });
}

/** A ring from arc indices; a negative index ~i means arc i reversed. */
function stitch(arcs: Ring[], indices: number[]): Ring {
  const ring: Ring = [];
  for (const i of indices) {
    const arc = i >= 0 ? arcs[i] : arcs[~i].slice().reverse();
    ring.push(...(ring.length ? arc.slice(1) : arc));
  }
  return ring;
}

const round = (n: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

async function hashed(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest.slice(0, 5)].map((b) => b.toString(36).toUpperCase().padStart(2, "0"))
    .join("");
}

/** Every polygon of the world's countries (Natural Earth 1:110m). */
async function countryPolygons(): Promise<{ name: string; polygons: Polygon[] }[]> {
  const path = new URL(import.meta.resolve("world-atlas/countries-110m.json"));
  const topo = JSON.parse(await Deno.readTextFile(path)) as Topology;
  const arcs = decodeArcs(topo);
  return topo.objects.countries.geometries.filter((g) => g.arcs).map((g) => {
    const polys = (g.type === "Polygon" ? [g.arcs] : g.arcs) as number[][][];
    return {
      name: g.properties?.name ?? "",
      polygons: polys.map((rings) => rings.map((r) => stitch(arcs, r))),
    };
  });
}

/**
 * The ring with longitudes made continuous: one crossing the antimeridian goes past ±180
 * instead of jumping across the whole map (renderers wrap such shapes correctly).
 */
function unwrap(ring: Ring): Ring {
  const out: Ring = [];
  for (const [lon, lat] of ring) {
    const prev = out.at(-1)?.[0];
    out.push([prev === undefined ? lon : lon + 360 * Math.round((prev - lon) / 360), lat]);
  }
  return out;
}

/** GeoJSON for the globe, coordinates rounded to 0.01° (about a kilometre). */
function worldGeoJson(countries: { name: string; polygons: Polygon[] }[]): string {
  return JSON.stringify({
    type: "FeatureCollection",
    features: countries.map((c) => ({
      type: "Feature",
      properties: { name: c.name },
      geometry: {
        type: "MultiPolygon",
        coordinates: c.polygons.map((p) =>
          p.map((ring) => unwrap(ring).map(([x, y]) => [round(x, 2), round(y, 2)]))
        ),
      },
    })),
  });
}

/** Flat map (equirectangular, x = lon + 180, y = 90 − lat), Antarctica left out. */
export const FLAT_VIEWBOX = { x: 0, y: 6, width: 360, height: 144 };

function worldSvg(countries: { name: string; polygons: Polygon[] }[]): string {
  const parts: string[] = [];
  for (const c of countries) {
    if (c.name === "Antarctica") continue;
    for (const polygon of c.polygons) {
      for (const ring of polygon) {
        // A ring unwrapped past the antimeridian is drawn again one world-width over, so the
        // part past the edge shows on the other side.
        const lons = unwrap(ring).map(([lon]) => lon);
        const offsets = [0];
        if (Math.max(...lons) > 180) offsets.push(-360);
        if (Math.min(...lons) < -180) offsets.push(360);
        for (const off of offsets) {
          parts.push(
            ring.map(([, lat], i) =>
              `${i ? "L" : "M"}${round(lons[i] + off + 180, 1)} ${round(90 - lat, 1)}`
            ).join("") + "Z",
          );
        }
      }
    }
  }
  const v = FLAT_VIEWBOX;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${v.x} ${v.y} ${v.width} ${v.height}">` +
    `<path fill="#000" d="${parts.join("")}"/></svg>`;
}

/** Writes the live assets into `out` and answers their URLs by name, for the manifest. */
export async function buildLiveAssets(out: URL): Promise<Record<string, string>> {
  const countries = await countryPolygons();
  const worker = await Deno.readFile(
    new URL(import.meta.resolve("maplibre-gl/dist/maplibre-gl-worker.mjs")),
  );
  const files: Array<[string, string, Uint8Array<ArrayBuffer>]> = [
    ["world.geojson", "json", new TextEncoder().encode(worldGeoJson(countries))],
    ["world.svg", "svg", new TextEncoder().encode(worldSvg(countries))],
    ["maplibre-worker", "js", worker],
  ];
  const urls: Record<string, string> = {};
  for (const [name, ext, bytes] of files) {
    const file = `${name.replace(/\.\w+$/, "")}-${await hashed(bytes)}.${ext}`;
    await Deno.writeFile(new URL(file, out), bytes);
    urls[name] = `/static/build/${file}`;
  }
  return urls;
}
