// The shell's line grammar: words, quotes, redirections, comments, and the lists `;`, `&&` and `||`.
//
// Words split at blanks; '...' and "..." quote; an unquoted '>' or '>>' is a word of its own; an unquoted
// '#' at the start of a word begins a comment. Unquoted `;`, `&&` and `||` end a command and say when the
// next one runs, as in sh: after it, only if it succeeded, only if it failed. Pipes and background jobs
// are not offered: a lone '|' or '&' is a syntax error.

export class SyntaxError extends Error {}

export type Connector = ";" | "&&" | "||";

/** One command of a list and how the next one is joined to it. */
export interface ListCommand {
  readonly words: readonly string[];
  readonly connector: Connector;
}

/** Split a line into its commands; [] for a blank or comment line. Throws SyntaxError. */
export function splitCommands(line: string): ListCommand[] {
  const commands: ListCommand[] = [];
  let words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  let prev = "";
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = (connector: Connector) => {
    endWord();
    if (words.length === 0) throw new SyntaxError(`near unexpected token \`${connector}'`);
    commands.push({ words, connector });
    words = [];
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word ??= "";
    } else if (ch === ";") {
      endCommand(";");
    } else if (ch === "&" || ch === "|") {
      if (line[i + 1] !== ch) throw new SyntaxError(ch === "|" ? "pipes are not supported" : "background jobs are not supported");
      endCommand(ch === "&" ? "&&" : "||");
      i++;
    } else if (/\s/.test(ch) || ch === ">") {
      endWord();
      if (ch === ">") words.push(prev === ">" && words.at(-1) === ">" ? `${words.pop()}>` : ">");
    } else if (ch === "#" && word === undefined) {
      break;
    } else word = (word ?? "") + ch;
    prev = ch;
  }
  if (quote) throw new SyntaxError(`unterminated ${quote}`);
  endWord();
  if (words.length > 0) commands.push({ words, connector: ";" });
  else if (commands.length > 0 && commands.at(-1)!.connector !== ";") throw new SyntaxError("unexpected end of line");
  return commands;
}

/** The words of a line holding one command (a list's commands run together); [] for a blank line. */
export function splitWords(line: string): string[] {
  return splitCommands(line).flatMap((c) => c.words);
}
