/**
 * The segment builder: match ALL or ANY of conditions, one level of groups, and a live count of
 * the customers who match as the conditions change. It keeps the rule as JSON in a hidden field
 * of the save form, so saving is a plain form post.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { island } from "../lib/island.ts";
import { type FieldKind, KIND_OPS, SEGMENT_FIELDS } from "../customers/segment_fields.ts";

type Match = "all" | "any";
interface Cond {
  field: string;
  op: string;
  value?: unknown;
  value2?: unknown;
}
interface Grp {
  match: Match;
  conditions: Cond[];
}
interface Rule {
  match: Match;
  conditions: Array<Cond | Grp>;
}

interface Props {
  siteId: number;
  rule: Rule;
  tags: Array<{ id: number; name: string }>;
  statuses: Array<[string, string]>;
  /** 10^digits of the site's currency: money is entered in major units, kept in minor units. */
  unit: number;
}

const kindOf = (field: string): FieldKind =>
  SEGMENT_FIELDS.find((f) => f.field === field)?.kind ?? "text";
const isGroup = (c: Cond | Grp): c is Grp => "match" in c;

/** A fresh condition for a field, with its first operator and an empty value. */
function blank(field: string): Cond {
  const kind = kindOf(field);
  const op = KIND_OPS[kind][0][0];
  if (kind === "status" || kind === "tags" || kind === "product") return { field, op, value: [] };
  if (kind === "date") return { field, op, value: 30 };
  if (kind === "pages") return { field, op, value: "/pricing", value2: 2 };
  if (kind === "text") return { field, op, value: "" };
  return { field, op, value: 0 };
}

function ConditionRow(
  props: {
    c: Cond;
    p: Props;
    label: string;
    onChange: (c: Cond) => void;
    onRemove: () => void;
  },
) {
  const { c, p } = props;
  const kind = kindOf(c.field);
  const set = (patch: Partial<Cond>) => props.onChange({ ...c, ...patch });
  const money = kind === "money";
  const numIn = (v: unknown, key: "value" | "value2", label: string) => (
    <input
      type="number"
      aria-label={label}
      step={money ? "0.01" : "1"}
      value={v === undefined ? "" : money ? Number(v) / p.unit : String(v)}
      onInput={(e) => {
        const raw = (e.target as HTMLInputElement).value;
        const n = raw === "" ? NaN : Number(raw);
        set({ [key]: money ? Math.round(n * p.unit) : n });
      }}
    />
  );
  const list = (Array.isArray(c.value) ? c.value : []) as Array<string | number>;
  const toggle = (v: string | number) =>
    set({ value: list.includes(v) ? list.filter((x) => x !== v) : [...list, v] });
  let value;
  if (kind === "status" || kind === "tags") {
    const options: Array<[string | number, string]> = kind === "status"
      ? p.statuses
      : p.tags.map((t) => [t.id, t.name]);
    value = options.length === 0
      ? <span class="muted small">No tags yet: add one on a profile first.</span>
      : (
        <span class="checks">
          {options.map(([v, l]) => (
            <label key={String(v)} class="check">
              <input type="checkbox" checked={list.includes(v)} onChange={() => toggle(v)} /> {l}
            </label>
          ))}
        </span>
      );
  } else if (kind === "product") {
    value = (
      <input
        type="text"
        aria-label={`${props.label} products, separated by commas`}
        placeholder="Pro, Course"
        value={list.join(", ")}
        onInput={(e) =>
          set({
            value: (e.target as HTMLInputElement).value.split(",").map((s) => s.trim())
              .filter(Boolean),
          })}
      />
    );
  } else if (kind === "text") {
    value = (
      <input
        type="text"
        aria-label={`${props.label} value`}
        value={String(c.value ?? "")}
        onInput={(e) => set({ value: (e.target as HTMLInputElement).value })}
      />
    );
  } else if (kind === "pages") {
    value = (
      <>
        <input
          type="text"
          aria-label="Page path"
          value={String(c.value ?? "")}
          onInput={(e) => set({ value: (e.target as HTMLInputElement).value })}
        />
        {numIn(c.value2, "value2", "Times")}
        <span class="muted">times</span>
      </>
    );
  } else if (kind === "date") {
    if (c.op === "in_last" || c.op === "not_in_last") {
      value = (
        <>
          {numIn(c.value, "value", "Days")}
          <span class="muted">days</span>
        </>
      );
    } else {
      const dateIn = (v: unknown, key: "value" | "value2", label: string) => (
        <input
          type="date"
          aria-label={label}
          value={typeof v === "string" ? v : ""}
          onInput={(e) => set({ [key]: (e.target as HTMLInputElement).value })}
        />
      );
      value = (
        <>
          {dateIn(c.value, "value", "Date")}
          {c.op === "between" && <>and {dateIn(c.value2, "value2", "End date")}</>}
        </>
      );
    }
  } else {
    value = (
      <>
        {numIn(c.value, "value", "Value")}
        {c.op === "between" && <>and {numIn(c.value2, "value2", "Upper value")}</>}
      </>
    );
  }
  return (
    <div class="condition">
      <select
        aria-label="Field"
        value={c.field}
        onChange={(e) => props.onChange(blank((e.target as HTMLSelectElement).value))}
      >
        {SEGMENT_FIELDS.map((f) => <option key={f.field} value={f.field}>{f.label}</option>)}
      </select>
      <select
        aria-label="Operator"
        value={c.op}
        onChange={(e) => {
          const op = (e.target as HTMLSelectElement).value;
          if (kind === "date") {
            const days = op === "in_last" || op === "not_in_last";
            set({ op, value: days ? 30 : "", value2: op === "between" ? "" : undefined });
          } else set({ op, value2: op === "between" ? c.value : undefined });
        }}
      >
        {KIND_OPS[kind].map(([op, words]) => <option key={op} value={op}>{words}</option>)}
      </select>
      {value}
      <button
        type="button"
        class="link-button"
        aria-label="Remove condition"
        onClick={props.onRemove}
      >
        ×
      </button>
    </div>
  );
}

function MatchSelect(props: { value: Match; onChange: (m: Match) => void; label: string }) {
  return (
    <select
      aria-label={props.label}
      value={props.value}
      onChange={(e) => props.onChange((e.target as HTMLSelectElement).value as Match)}
    >
      <option value="all">ALL</option>
      <option value="any">ANY</option>
    </select>
  );
}

function SegmentBuilder(props: Props) {
  const [rule, setRule] = useState<Rule>(props.rule);
  const [count, setCount] = useState<number | null>(null);
  const [problem, setProblem] = useState("");
  const seq = useRef(0);
  const json = JSON.stringify(rule);

  useEffect(() => {
    const mine = ++seq.current;
    const t = setTimeout(async () => {
      try {
        const res = await fetch(
          `/api/app/sites/${props.siteId}/customers/segments/preview?rule=${
            encodeURIComponent(json)
          }`,
          { headers: { accept: "application/json" } },
        );
        const body = await res.json();
        if (mine !== seq.current) return;
        if (res.ok) {
          setCount(body.count);
          setProblem("");
        } else setProblem(body.error ?? "That rule can't be counted yet.");
      } catch {
        if (mine === seq.current) {
          setProblem("The count could not be loaded; check the connection.");
        }
      }
    }, 250);
    return () => clearTimeout(t);
  }, [json]);

  const setTop = (i: number, c: Cond | Grp | null) =>
    setRule({
      ...rule,
      conditions: c === null
        ? rule.conditions.filter((_, k) => k !== i)
        : rule.conditions.map((x, k) => (k === i ? c : x)),
    });

  return (
    <div class="segment-builder">
      <p class="row">
        Customers matching{" "}
        <MatchSelect
          label="Match"
          value={rule.match}
          onChange={(m) => setRule({ ...rule, match: m })}
        />{" "}
        of these conditions
      </p>
      <div class="conditions">
        {rule.conditions.map((c, i) =>
          isGroup(c)
            ? (
              <fieldset key={i} class="condition-group">
                <legend>
                  <MatchSelect
                    label="Group match"
                    value={c.match}
                    onChange={(m) => setTop(i, { ...c, match: m })}
                  />{" "}
                  of
                </legend>
                {c.conditions.map((x, k) => (
                  <ConditionRow
                    key={k}
                    c={x}
                    p={props}
                    label={`Group ${i + 1} condition ${k + 1}`}
                    onChange={(n) =>
                      setTop(i, {
                        ...c,
                        conditions: c.conditions.map((y, j) => (j === k ? n : y)),
                      })}
                    onRemove={() => {
                      const rest = c.conditions.filter((_, j) => j !== k);
                      setTop(i, rest.length ? { ...c, conditions: rest } : null);
                    }}
                  />
                ))}
                <button
                  type="button"
                  class="secondary small-button"
                  onClick={() =>
                    setTop(i, { ...c, conditions: [...c.conditions, blank("status")] })}
                >
                  + Condition in group
                </button>
              </fieldset>
            )
            : (
              <ConditionRow
                key={i}
                c={c}
                p={props}
                label={`Condition ${i + 1}`}
                onChange={(n) => setTop(i, n)}
                onRemove={() => setTop(i, null)}
              />
            )
        )}
      </div>
      <p class="row">
        <button
          type="button"
          class="secondary small-button"
          onClick={() => setRule({ ...rule, conditions: [...rule.conditions, blank("status")] })}
        >
          + Condition
        </button>
        <button
          type="button"
          class="secondary small-button"
          onClick={() =>
            setRule({
              ...rule,
              conditions: [...rule.conditions, { match: "any", conditions: [blank("status")] }],
            })}
        >
          + Group (OR / AND)
        </button>
      </p>
      <p class="segment-count" aria-live="polite">
        {problem
          ? <span class="negative">{problem}</span>
          : count === null
          ? <span class="muted">Counting…</span>
          : (
            <>
              <strong data-count={count}>{count.toLocaleString("en-US")}</strong>{" "}
              {count === 1 ? "customer matches" : "customers match"}
            </>
          )}
      </p>
      <input type="hidden" name="rule" value={json} />
    </div>
  );
}

export default island("SegmentBuilder", SegmentBuilder);
