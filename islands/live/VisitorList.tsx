/** Active visitors: where they are, what they read, where they came from, for how long. */
import { type LiveVisitor, sourceLabel } from "../../realtime/live_state.ts";
import {
  countryFlag,
  countryName,
  deviceLabel,
  formatDuration,
  placeLabel,
  timeAgo,
} from "../../realtime/live_format.ts";

export function VisitorList(props: {
  visitors: LiveVisitor[];
  now: number;
  fresh?: Set<string>;
  selected?: string | null;
  onSelect?: (visitorId: string) => void;
  compact?: boolean;
}) {
  return (
    <ul class={`visitors${props.compact ? " compact" : ""}`}>
      {!props.compact && (
        <li class="visitor-head" aria-hidden="true">
          <span>Visitor</span>
          <span>Current page</span>
          <span>Source</span>
          <span>Device</span>
          <span class="num">Pages</span>
          <span class="num">On site</span>
        </li>
      )}
      {props.visitors.map((v) => {
        const place = placeLabel(v.country, v.city);
        // Compact rows have room for the city alone; the flag beside it shows the country.
        const shownPlace = props.compact ? v.city || countryName(v.country) : place;
        const onSite = formatDuration(props.now - Date.parse(v.startedAt));
        const body = (
          <>
            <span class="v-place">
              <span class="flag" aria-hidden="true">{countryFlag(v.country) || "··"}</span>
              <span class="v-place-name" title={place}>{shownPlace}</span>
              {(v.goals.length > 0 || v.purchased) && (
                <span class="v-badges">
                  {v.goals.length > 0 && (
                    <span class="badge ok" title={`Goals: ${v.goals.join(", ")}`}>
                      ✓ {v.goals.length === 1 ? v.goals[0] : `${v.goals.length} goals`}
                    </span>
                  )}
                  {v.purchased && <span class="badge buyer">Customer</span>}
                </span>
              )}
            </span>
            <span class="v-page" title={v.title || v.page}>{v.page}</span>
            <span class="v-source">{sourceLabel(v.source)}</span>
            {!props.compact && (
              <span class="v-device">
                {deviceLabel(v.device)}
                {v.browser && <span class="muted">{` · ${v.browser}`}</span>}
              </span>
            )}
            {!props.compact && (
              <span class="v-pages num">
                {v.pages}
                <span class="v-unit">{v.pages === 1 ? " page" : " pages"}</span>
              </span>
            )}
            <span
              class="v-time num"
              title={`Last active ${timeAgo(props.now - Date.parse(v.lastSeenAt))}`}
            >
              {onSite}
            </span>
          </>
        );
        const cls = `visitor${props.fresh?.has(v.visitorId) ? " is-new" : ""}`;
        return (
          <li key={v.visitorId} class={cls}>
            {props.onSelect
              ? (
                <button
                  type="button"
                  class="visitor-row"
                  data-visitor={v.visitorId}
                  aria-pressed={props.selected === v.visitorId}
                  aria-label={`${place}, on ${v.page} from ${
                    sourceLabel(v.source)
                  }, ${onSite} on site. Show journey.`}
                  onClick={() => props.onSelect!(v.visitorId)}
                >
                  {body}
                </button>
              )
              : <div class="visitor-row">{body}</div>}
          </li>
        );
      })}
    </ul>
  );
}
