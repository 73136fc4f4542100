/**
 * The live map: the MapLibre globe where the screen and device allow it, otherwise (and before
 * any script runs) a light flat map drawn with a CSS mask over the world outline.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { dotOpacity, type MapDot } from "../../realtime/live_state.ts";
import type { GlobeColors, GlobeController } from "./globe_map.ts";

export interface MapPulse {
  id: string;
  lat: number;
  lon: number;
  kind: "purchase" | "arrival";
  label?: string;
}

export interface MapAssets {
  world: string;
  worldSvg: string;
  worker: string;
}

/** Flat map frame: longitudes −180…180, latitudes 84…−60 (matches the built SVG). */
const TOP_LAT = 84;
const LAT_SPAN = 144;

function position(lat: number, lon: number) {
  return `left:${((lon + 180) / 360) * 100}%;top:${((TOP_LAT - lat) / LAT_SPAN) * 100}%`;
}

/** Flat world map with HTML dots; works without script and costs little on phones. */
export function FlatMap(props: { svgUrl: string; dots: MapDot[]; pulses: MapPulse[] }) {
  return (
    <div
      class="flatmap"
      role="img"
      aria-label={`Map of active visitors: ${props.dots.length} places`}
    >
      <div
        class="flatmap-land"
        style={`mask-image:url(${props.svgUrl});-webkit-mask-image:url(${props.svgUrl})`}
      />
      {props.dots.map((d) => (
        <span
          key={`${d.lat}:${d.lon}`}
          class={`flatmap-dot${d.match ? "" : " dim"}${d.idleMs < 4000 ? " fresh" : ""}${
            d.count > 1 ? " many" : ""
          }`}
          style={`${position(d.lat, d.lon)};opacity:${dotOpacity(d.idleMs)}`}
          title={`${d.count} visitor${d.count === 1 ? "" : "s"}${d.label ? ` · ${d.label}` : ""}`}
        />
      ))}
      {props.pulses.map((p) => (
        <span
          key={p.id}
          class={`flatmap-pulse ${p.kind}${p.lat > 40 ? " below" : ""}`}
          style={position(p.lat, p.lon)}
        >
          {p.label && <span>{p.label}</span>}
        </span>
      ))}
    </div>
  );
}

function cssColors(): GlobeColors {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return {
    ocean: v("--map-ocean"),
    land: v("--map-land"),
    border: v("--map-border"),
    dot: v("--accent"),
    dim: v("--muted"),
    space: v("--map-space"),
    atmosphere: Number(v("--map-atmosphere")) || 0,
  };
}

/** The 3D globe; `onFail` hands over to the flat map when WebGL or loading fails. */
export function Globe(props: {
  assets: MapAssets;
  dots: MapDot[];
  pulses: MapPulse[];
  reducedMotion: boolean;
  rotating: boolean;
  zoomRequest: number;
  onFail: (reason: string) => void;
  /** Shown until the globe has drawn (the flat map: useful while MapLibre downloads). */
  placeholder?: preact.ComponentChildren;
}) {
  const el = useRef<HTMLDivElement>(null);
  const ctl = useRef<GlobeController | null>(null);
  const dots = useRef(props.dots);
  dots.current = props.dots;
  const shown = useRef(new Set<string>());
  const lastZoom = useRef(props.zoomRequest);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let gone = false;
    import("./globe_map.ts")
      .then((m) =>
        m.createGlobe(el.current!, {
          worldUrl: props.assets.world,
          workerUrl: props.assets.worker,
          colors: cssColors(),
          reducedMotion: props.reducedMotion,
        })
      )
      .then((c) => {
        if (gone) return c.destroy();
        ctl.current = c;
        c.setDots(dots.current);
        c.setRotating(props.rotating);
        setLoading(false);
      })
      .catch(() => !gone && props.onFail("The globe couldn't start here, so this is a flat map."));
    const scheme = matchMedia("(prefers-color-scheme: dark)");
    const recolor = () => ctl.current?.setColors(cssColors());
    scheme.addEventListener("change", recolor);
    return () => {
      gone = true;
      scheme.removeEventListener("change", recolor);
      ctl.current?.destroy();
      ctl.current = null;
    };
  }, []);

  useEffect(() => ctl.current?.setDots(props.dots), [props.dots]);
  useEffect(() => ctl.current?.setRotating(props.rotating), [props.rotating]);
  useEffect(() => {
    const by = props.zoomRequest - lastZoom.current;
    lastZoom.current = props.zoomRequest;
    if (by) ctl.current?.zoom(by);
  }, [props.zoomRequest]);
  useEffect(() => {
    for (const p of props.pulses) {
      if (shown.current.has(p.id) || !ctl.current) continue;
      shown.current.add(p.id);
      ctl.current.pulse(p.lon, p.lat, p.kind, p.label);
    }
  }, [props.pulses, loading]);

  return (
    <div
      class="globe"
      ref={el}
      role="img"
      aria-label={`Globe of active visitors: ${props.dots.length} places`}
      aria-busy={loading}
    >
      {loading && (
        <div class="globe-loading">
          {props.placeholder}
          <span class="globe-loading-note">Loading the globe…</span>
        </div>
      )}
    </div>
  );
}

/** Whether this browser can draw the globe (WebGL) and it is worth it (not a small screen). */
export function globeSuits(): boolean {
  if (matchMedia("(max-width: 640px)").matches) return false;
  // deno-lint-ignore no-explicit-any
  if ((navigator as any).connection?.saveData) return false;
  const canvas = document.createElement("canvas");
  return !!(canvas.getContext("webgl2") || canvas.getContext("webgl"));
}
