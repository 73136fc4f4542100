/**
 * The stylesheet is one flat list of rules (inside at-rules such as @media at most): a rule left
 * open swallows every rule after it as a nested one, which browsers then apply only inside it.
 */
import assert from "node:assert/strict";

Deno.test("app.css closes every rule: no style rule opens inside another", async () => {
  const css = (await Deno.readTextFile(new URL("./app.css", import.meta.url)))
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  const open: Array<{ atRule: boolean; line: number }> = [];
  let line = 1;
  let start = 0;
  for (let i = 0; i < css.length; i++) {
    const ch = css[i];
    if (ch === "\n") line++;
    if (ch === "{") {
      const prelude = css.slice(start, i).trim();
      const atRule = prelude.startsWith("@");
      const parent = open.at(-1);
      assert.ok(
        !parent || parent.atRule,
        `line ${line}: "${prelude.slice(0, 60)}" opens inside the rule from line ${parent?.line}`,
      );
      open.push({ atRule, line });
      start = i + 1;
    } else if (ch === "}") {
      assert.ok(open.pop(), `line ${line}: a "}" closes nothing`);
      start = i + 1;
    } else if (ch === ";") {
      start = i + 1;
    }
  }
  assert.deepEqual(open, [], "rules left open at the end");
});
