/** A tiny inline SVG trend line; no script, scales to its box. */

export function Sparkline(props: { values: number[]; label: string }) {
  const v = props.values;
  const w = 120;
  const h = 32;
  const max = Math.max(1, ...v);
  const step = v.length > 1 ? w / (v.length - 1) : w;
  const points = v.map((x, i) =>
    `${(i * step).toFixed(1)},${(h - 2 - (x / max) * (h - 4)).toFixed(1)}`
  )
    .join(" ");
  return (
    <svg
      class="sparkline"
      viewBox={`0 0 ${w} ${h}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={props.label}
    >
      {v.length > 1 && (
        <>
          <polygon points={`0,${h} ${points} ${w},${h}`} class="sparkline-fill" />
          <polyline points={points} class="sparkline-line" fill="none" />
        </>
      )}
    </svg>
  );
}
