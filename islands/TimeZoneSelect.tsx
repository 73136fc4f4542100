/** A time zone picker that starts at the browser's own zone (people rarely know its IANA name). */
import { useEffect, useState } from "preact/hooks";
import { island } from "../lib/island.ts";

function TimeZoneSelect(
  props: { id: string; name: string; zones: string[]; selected: string; guess: boolean },
) {
  const [value, setValue] = useState(props.selected);
  useEffect(() => {
    if (!props.guess) return;
    const mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (mine && props.zones.includes(mine)) setValue(mine);
  }, []);
  return (
    <select
      id={props.id}
      name={props.name}
      value={value}
      onChange={(e) => setValue((e.target as HTMLSelectElement).value)}
    >
      {props.zones.map((z) => <option key={z} value={z}>{z}</option>)}
    </select>
  );
}

export default island("TimeZoneSelect", TimeZoneSelect);
