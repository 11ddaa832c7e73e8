// The shell's line grammar: words, quotes, variables, redirections, comments, lists and `{ ...; }` groups.
//
// Words split at blanks; '...' quotes everything, "..." everything but $; an unquoted '>' or '>>' is a
// word of its own (echo's redirection); an unquoted '<' followed by a word redirects the command's standard
// input from that file, as sh does; an unquoted '#' at the start of a word begins a comment. $NAME and ${NAME} are the
// environment's NAME when the command runs (empty when unset); unquoted, the value splits at blanks into
// words, as sh splits fields. Unquoted `;`, `&&` and `||` end a command and say when the next one runs,
// as in sh: after it, only if it succeeded, only if it failed. `{` and `}`, as whole words where a
// command starts, group a list into one command, as in sh (`a && { b; c; }`). Pipes and background jobs
// are not offered: a lone '|' or '&' is a syntax error.

export class SyntaxError extends Error {}

export type Connector = ";" | "&&" | "||";

/** A piece of a word: text as written, or a variable expanded when the command runs (split unless quoted). */
export type WordPart = { readonly text: string } | { readonly variable: string; readonly quoted: boolean };
export type Word = readonly WordPart[];

/** A command: a simple one's words (and the file its standard input comes from, `< FILE`), or a group's list. */
export type ShellCommand = { readonly words: readonly Word[]; readonly stdin?: Word } | { readonly group: List };

/** One command of a list and how the next one is joined to it. */
export interface ListItem {
  readonly command: ShellCommand;
  readonly connector: Connector;
}

export type List = readonly ListItem[];

type Token = { readonly word: Word; readonly bare: string | null } | { readonly op: Connector };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** A variable reference at line[i] ('$'): its name and where the line goes on; null when '$' is only a '$'. */
function variableAt(line: string, i: number): { name: string; next: number } | null {
  if (line[i + 1] === "{") {
    const close = line.indexOf("}", i + 2);
    const name = close < 0 ? null : line.slice(i + 2, close);
    if (name === null || !NAME.test(name) || NAME.exec(name)![0] !== name) throw new SyntaxError("bad substitution");
    return { name, next: close + 1 };
  }
  const m = NAME.exec(line.slice(i + 1));
  return m ? { name: m[0], next: i + 1 + m[0].length } : null;
}

/** The line's words and operators. */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let parts: WordPart[] | undefined;
  let bare = true;
  let quote: string | undefined;
  let prev = "";
  const text = (t: string) => {
    parts ??= [];
    const last = parts.at(-1);
    if (last && "text" in last) parts[parts.length - 1] = { text: last.text + t };
    else parts.push({ text: t });
  };
  const endWord = () => {
    if (parts !== undefined) {
      const literal = parts.length === 1 && "text" in parts[0]! ? parts[0].text : null;
      tokens.push({ word: parts, bare: bare ? literal : null });
    }
    [parts, bare] = [undefined, true];
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "$" && quote !== "'") {
      const v = variableAt(line, i);
      if (v) {
        parts ??= [];
        parts.push({ variable: v.name, quoted: quote === '"' });
        bare = false;
        i = v.next - 1;
        prev = "";
        continue;
      }
    }
    if (quote) {
      if (ch === quote) quote = undefined;
      else text(ch);
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      bare = false;
      text("");
    } else if (ch === ";") {
      endWord();
      tokens.push({ op: ";" });
    } else if (ch === "&" || ch === "|") {
      if (line[i + 1] !== ch) throw new SyntaxError(ch === "|" ? "pipes are not supported" : "background jobs are not supported");
      endWord();
      tokens.push({ op: ch === "&" ? "&&" : "||" });
      i++;
    } else if (ch === "<") {
      endWord();
      tokens.push({ word: [{ text: "<" }], bare: "<" });
    } else if (/\s/.test(ch) || ch === ">") {
      endWord();
      const last = tokens.at(-1);
      if (ch === ">" && prev === ">" && last && "word" in last && last.bare === ">") tokens[tokens.length - 1] = { word: [{ text: ">>" }], bare: ">>" };
      else if (ch === ">") tokens.push({ word: [{ text: ">" }], bare: ">" });
    } else if (ch === "#" && parts === undefined) {
      break;
    } else text(ch);
    prev = ch;
  }
  if (quote) throw new SyntaxError(`unterminated ${quote}`);
  endWord();
  return tokens;
}

const isBare = (t: Token | undefined, word: string) => t !== undefined && "word" in t && t.bare === word;
const shown = (t: Token) => ("op" in t ? t.op : t.bare ?? "word");

/** The simple command whose words start at tokens[at], its `< FILE` taken out; the last one counts, as in sh. */
function simpleCommand(tokens: readonly Token[], at: number): [ShellCommand, number] {
  const words: Word[] = [];
  let stdin: Word | undefined;
  let pos = at;
  for (; pos < tokens.length; pos++) {
    const t = tokens[pos]!;
    if ("op" in t) break;
    if (!isBare(t, "<")) {
      words.push(t.word);
      continue;
    }
    const file = tokens[pos + 1];
    if (file === undefined || "op" in file || isBare(file, "<")) throw new SyntaxError(`near unexpected token \`${file === undefined ? "newline" : shown(file)}'`);
    stdin = file.word;
    pos++;
  }
  return [stdin === undefined ? { words } : { words, stdin }, pos];
}

/** The list starting at tokens[at]: its items and where it ended (at the end, or at a group's `}`). */
function parseList(tokens: readonly Token[], at: number, inGroup: boolean): [List, number] {
  const items: ListItem[] = [];
  let pos = at;
  while (pos < tokens.length && !(inGroup && isBare(tokens[pos], "}"))) {
    const t = tokens[pos]!;
    if ("op" in t || isBare(t, "}")) throw new SyntaxError(`near unexpected token \`${shown(t)}'`);
    let command: ShellCommand;
    if (isBare(t, "{")) {
      const [list, end] = parseList(tokens, pos + 1, true);
      if (end >= tokens.length) throw new SyntaxError("unexpected end of line");
      if (list.length === 0) throw new SyntaxError("near unexpected token `}'");
      pos = end + 1;
      const after = tokens[pos];
      if (after !== undefined && "word" in after && !(inGroup && after.bare === "}")) throw new SyntaxError(`near unexpected token \`${shown(after)}'`);
      command = { group: list };
    } else {
      [command, pos] = simpleCommand(tokens, pos);
    }
    const next = tokens[pos];
    const connector = next !== undefined && "op" in next ? next.op : ";";
    if (next !== undefined && "op" in next) pos++;
    if (connector !== ";" && (pos >= tokens.length || (inGroup && isBare(tokens[pos], "}")))) {
      throw new SyntaxError(pos >= tokens.length ? "unexpected end of line" : "near unexpected token `}'");
    }
    items.push({ command, connector });
  }
  return [items, pos];
}

/** Parse a line into its list; [] for a blank or comment line. Throws SyntaxError. */
export function parseLine(line: string): List {
  const tokens = tokenize(line);
  const [list, end] = parseList(tokens, 0, false);
  if (end < tokens.length) throw new SyntaxError(`near unexpected token \`${shown(tokens[end]!)}'`);
  return list;
}

/** A command's words as it runs: variables replaced from `env`, an unquoted value split at blanks into words. */
export function expandWords(words: readonly Word[], env: ReadonlyMap<string, string>): string[] {
  return words.flatMap((word) => {
    // Each field, and whether it must stay even if empty (it has quoted or written text).
    const fields: { text: string; solid: boolean }[] = [{ text: "", solid: false }];
    for (const part of word) {
      const last = fields.at(-1)!;
      if ("text" in part || part.quoted) {
        last.text += "text" in part ? part.text : env.get(part.variable) ?? "";
        last.solid = true;
        continue;
      }
      const pieces = (env.get(part.variable) ?? "").split(/[ \t\n]+/);
      last.text += pieces[0]!;
      for (const piece of pieces.slice(1)) fields.push({ text: piece, solid: false });
    }
    return fields.filter((f) => f.solid || f.text !== "").map((f) => f.text);
  });
}

/** The words of a line's commands, groups' too, with no variable set; [] for a blank line. */
export function splitWords(line: string): string[] {
  const flat = (list: List): string[] => list.flatMap(({ command }) => ("group" in command ? flat(command.group) : expandWords(command.words, new Map())));
  return flat(parseLine(line));
}
