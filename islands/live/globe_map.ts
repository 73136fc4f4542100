/**
 * The MapLibre globe: world countries from our own GeoJSON (no tiles, no tokens, nothing from
 * elsewhere), a dot per place with active visitors, ripples for arrivals and a pulse with the
 * amount for each purchase. Idle, it turns slowly; touching it pauses that for a while; with
 * reduced motion it never moves on its own. Loaded on demand: MapLibre is the page's heaviest part.
 */
import { type GeoJSONSource, Map as MapLibre, Marker, setWorkerUrl } from "maplibre-gl";
import {
  DEFAULT_GLOBE_CENTRE,
  dotOpacity,
  type MapDot,
  visitorsCentre,
} from "../../realtime/live_state.ts";

export interface GlobeColors {
  ocean: string;
  land: string;
  border: string;
  dot: string;
  dim: string;
  space: string;
  /** How much atmosphere glows round the globe (0–1): none on light pages. */
  atmosphere: number;
}

export interface GlobeOptions {
  worldUrl: string;
  workerUrl: string;
  colors: GlobeColors;
  reducedMotion: boolean;
}

export interface GlobeController {
  setDots(dots: MapDot[]): void;
  /** A pulse at a place: an amount label for purchases, a small ripple for arrivals. */
  pulse(lon: number, lat: number, kind: "purchase" | "arrival", label?: string): void;
  setColors(colors: GlobeColors): void;
  zoom(by: number): void;
  setRotating(on: boolean): void;
  destroy(): void;
}

const DEGREES_PER_SECOND = 3;
const PAUSE_AFTER_TOUCH_MS = 15_000;
const PULSE_MS = 6000;
const MAX_RIPPLES = 12;

function dotFeatures(dots: MapDot[]) {
  return {
    type: "FeatureCollection" as const,
    features: dots.map((d) => ({
      type: "Feature" as const,
      properties: {
        count: d.count,
        o: dotOpacity(d.idleMs),
        match: d.match,
        fresh: d.idleMs < 4000,
      },
      geometry: { type: "Point" as const, coordinates: [d.lon, d.lat] },
    })),
  };
}

/** The zoom at which the globe fills most of the box (a globe's radius is 512·2^z / 2π px). */
function fittingZoom(el: HTMLElement): number {
  const size = Math.min(el.clientWidth, el.clientHeight) || 400;
  return Math.log2((size * 1.15 * Math.PI) / 512);
}

/** Creates the globe inside `el`; resolves once the map has loaded. */
export function createGlobe(el: HTMLElement, opts: GlobeOptions): Promise<GlobeController> {
  setWorkerUrl(new URL(opts.workerUrl, location.href).href);
  const map = new MapLibre({
    container: el,
    style: {
      version: 8,
      projection: { type: "globe" },
      sources: {
        world: { type: "geojson", data: new URL(opts.worldUrl, location.href).href },
        dots: { type: "geojson", data: dotFeatures([]) },
      },
      sky: { "atmosphere-blend": opts.colors.atmosphere },
      layers: [
        { id: "ocean", type: "background", paint: { "background-color": opts.colors.ocean } },
        { id: "land", type: "fill", source: "world", paint: { "fill-color": opts.colors.land } },
        {
          id: "borders",
          type: "line",
          source: "world",
          paint: { "line-color": opts.colors.border, "line-width": 0.6 },
        },
        {
          id: "dots-glow",
          type: "circle",
          source: "dots",
          paint: {
            "circle-radius": ["interpolate", ["linear"], ["get", "count"], 1, 10, 20, 20],
            "circle-color": ["case", ["get", "match"], opts.colors.dot, opts.colors.dim],
            "circle-opacity": ["*", ["case", ["get", "fresh"], 0.45, 0.18], ["get", "o"]],
            "circle-blur": 0.8,
          },
        },
        {
          id: "dots",
          type: "circle",
          source: "dots",
          paint: {
            "circle-radius": ["interpolate", ["linear"], ["get", "count"], 1, 4.5, 20, 10],
            "circle-color": ["case", ["get", "match"], opts.colors.dot, opts.colors.dim],
            "circle-opacity": ["get", "o"],
            "circle-stroke-width": 1.5,
            "circle-stroke-color": "#ffffff",
            "circle-stroke-opacity": ["*", 0.9, ["get", "o"]],
          },
        },
      ],
    },
    center: DEFAULT_GLOBE_CENTRE,
    zoom: fittingZoom(el),
    minZoom: 0,
    maxZoom: 6,
    attributionControl: false,
    renderWorldCopies: false,
    dragRotate: false,
    pitchWithRotate: false,
    touchPitch: false,
  });
  el.style.background = opts.colors.space;

  let rotating = !opts.reducedMotion;
  let pausedUntil = 0;
  let last = 0;
  let raf = 0;
  let resume: ReturnType<typeof setTimeout> | undefined;
  let ripples = 0;
  let faced = false;
  // Frames are requested only while turning: an idle globe costs nothing.
  const spin = (now: number) => {
    raf = 0;
    if (!rotating) return;
    raf = requestAnimationFrame(spin);
    // About 25 frames a second is smooth at this speed and keeps the drawing work low.
    if (now - last < 40) return;
    const dt = Math.min(100, now - last);
    last = now;
    if (!map.isMoving()) {
      const c = map.getCenter();
      map.jumpTo({ center: [c.lng - (DEGREES_PER_SECOND * dt) / 1000, c.lat] });
    }
  };
  const startSpinning = () => {
    if (raf || !rotating) return;
    last = performance.now();
    raf = requestAnimationFrame(spin);
  };
  const pause = () => {
    cancelAnimationFrame(raf);
    raf = 0;
    pausedUntil = performance.now() + PAUSE_AFTER_TOUCH_MS;
    clearTimeout(resume);
    resume = setTimeout(startSpinning, PAUSE_AFTER_TOUCH_MS);
  };
  for (const type of ["mousedown", "touchstart", "wheel"] as const) {
    map.getCanvasContainer().addEventListener(type, pause, { passive: true });
  }

  const controller: GlobeController = {
    setDots(dots) {
      (map.getSource("dots") as GeoJSONSource | undefined)?.setData(dotFeatures(dots));
      // Open facing the first visitors (not a fixed side of the world), unless already steered.
      if (!faced && dots.length > 0) {
        faced = true;
        if (performance.now() > pausedUntil) map.jumpTo({ center: visitorsCentre(dots) });
      }
    },
    pulse(lon, lat, kind, label) {
      if (kind === "arrival" && ripples >= MAX_RIPPLES) return;
      const node = document.createElement("div");
      node.className = `globe-pulse ${kind}`;
      node.setAttribute("aria-hidden", "true");
      if (label) {
        const tag = document.createElement("span");
        tag.textContent = label;
        node.append(tag);
      }
      const marker = new Marker({ element: node, opacityWhenCovered: "0" })
        .setLngLat([lon, lat]).addTo(map);
      if (kind === "arrival") ripples++;
      if (kind === "purchase" && performance.now() > pausedUntil) {
        // Bring the sale into view unless the viewer is steering.
        if (opts.reducedMotion) map.jumpTo({ center: [lon, lat] });
        else map.easeTo({ center: [lon, lat], duration: 1200 });
      }
      setTimeout(() => {
        marker.remove();
        if (kind === "arrival") ripples--;
      }, PULSE_MS);
    },
    setColors(colors) {
      map.setPaintProperty("ocean", "background-color", colors.ocean);
      map.setPaintProperty("land", "fill-color", colors.land);
      map.setPaintProperty("borders", "line-color", colors.border);
      for (const id of ["dots", "dots-glow"]) {
        map.setPaintProperty(id, "circle-color", [
          "case",
          ["get", "match"],
          colors.dot,
          colors.dim,
        ]);
      }
      el.style.background = colors.space;
      map.setSky({ "atmosphere-blend": colors.atmosphere });
    },
    zoom(by) {
      pause();
      map.easeTo({ zoom: map.getZoom() + by, duration: opts.reducedMotion ? 0 : 300 });
    },
    setRotating(on) {
      rotating = on && !opts.reducedMotion;
      clearTimeout(resume);
      pausedUntil = 0;
      if (rotating) startSpinning();
      else {
        cancelAnimationFrame(raf);
        raf = 0;
      }
    },
    destroy() {
      cancelAnimationFrame(raf);
      clearTimeout(resume);
      map.remove();
    },
  };

  return new Promise((resolve, reject) => {
    const failed = (e: { error?: { message: string } }) =>
      reject(new Error(e.error?.message ?? "The map failed to load."));
    map.once("error", failed);
    map.once("load", () => {
      map.off("error", failed);
      startSpinning();
      resolve(controller);
    });
  });
}
