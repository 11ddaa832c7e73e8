// fnmatch(3) without flags, as kmod matches aliases, install/remove commands and softdeps against names:
// `*` any run of characters, `?` one character, `[...]` a set (ranges, `!` or `^` to negate, `]` first
// is literal), `\` quotes the next character. '/' and leading dots are ordinary characters (no FNM_PATHNAME,
// no FNM_PERIOD).

/** The set starting at pattern[at] ('['): whether c is in it and where the pattern continues; null if unclosed. */
function matchSet(pattern: string, at: number, c: string): { readonly hit: boolean; readonly next: number } | null {
  let i = at + 1;
  const negate = pattern[i] === "!" || pattern[i] === "^";
  if (negate) i++;
  let hit = false;
  let first = true;
  while (i < pattern.length && (first || pattern[i] !== "]")) {
    first = false;
    let lo = pattern[i]!;
    if (lo === "\\" && i + 1 < pattern.length) lo = pattern[++i]!;
    let hi = lo;
    if (pattern[i + 1] === "-" && i + 2 < pattern.length && pattern[i + 2] !== "]") {
      hi = pattern[i + 2] === "\\" && i + 3 < pattern.length ? pattern[i + 3]! : pattern[i + 2]!;
      i += pattern[i + 2] === "\\" ? 3 : 2;
    }
    if (lo <= c && c <= hi) hit = true;
    i++;
  }
  if (i >= pattern.length) return null;
  return { hit: hit !== negate, next: i + 1 };
}

/** True when `name` matches `pattern` as fnmatch(pattern, name, 0) == 0. */
export function fnmatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  // Where to resume after the last '*': the pattern just past it and the name position it has eaten to.
  let starP = -1;
  let starN = 0;
  while (n < name.length) {
    const pc = pattern[p];
    if (pc === "*") {
      starP = ++p;
      starN = n;
      continue;
    }
    if (pc !== undefined) {
      if (pc === "?") {
        p++;
        n++;
        continue;
      }
      if (pc === "[") {
        const set = matchSet(pattern, p, name[n]!);
        if (set === null ? name[n] === "[" : set.hit) {
          p = set === null ? p + 1 : set.next;
          n++;
          continue;
        }
      } else {
        const literal = pc === "\\" && p + 1 < pattern.length ? pattern[p + 1]! : pc;
        if (literal === name[n]) {
          p += pc === "\\" && p + 1 < pattern.length ? 2 : 1;
          n++;
          continue;
        }
      }
    }
    if (starP < 0) return false;
    p = starP;
    n = ++starN;
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}
