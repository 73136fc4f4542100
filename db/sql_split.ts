/**
 * Splits a SQL script into statements, respecting quotes, dollar-quoted bodies and comments.
 * Needed for migrations whose statements may not share a transaction (TimescaleDB policies).
 */
export function splitSqlStatements(script: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = script.length;
  while (i < n) {
    const c = script[i];
    if (c === "-" && script[i + 1] === "-") {
      const nl = script.indexOf("\n", i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === "/" && script[i + 1] === "*") {
      const close = script.indexOf("*/", i + 2);
      i = close === -1 ? n : close + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < n) {
        if (script[j] === c) {
          if (script[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      i = j + 1;
    } else if (c === "$") {
      const m = /^\$[A-Za-z_]*\$/.exec(script.slice(i));
      if (m) {
        const close = script.indexOf(m[0], i + m[0].length);
        i = close === -1 ? n : close + m[0].length;
      } else i++;
    } else if (c === ";") {
      push(script.slice(start, i));
      i++;
      start = i;
    } else i++;
  }
  push(script.slice(start));
  return out;

  function push(stmt: string) {
    const meaningful = stmt.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "").trim();
    if (meaningful) out.push(stmt.trim());
  }
}
