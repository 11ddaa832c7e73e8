import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KERNEL_SYMBOLS, STRUCTS } from "../../abi/kernel.js";
import { STRUCT_DOCS, SYMBOL_SECTIONS } from "../../abi/kernel_doc.js";
import { declaration } from "../../scripts/genheaders.js";
import { DOCS_PATH, generateDocs } from "../../scripts/gendocs.js";
import { ROOT } from "../../scripts/paths.js";

describe("docs/kernel-api.md", () => {
  it("is what gendocs generates from abi/ (gendocs --check exits 0)", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "dist", "scripts", "gendocs.js"), "--check"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readFileSync(DOCS_PATH, "utf8")).toBe(generateDocs());
  });

  it("files every kernel symbol under exactly one section", () => {
    const listed = SYMBOL_SECTIONS.flatMap((s) => s.symbols);
    expect([...listed].sort()).toEqual(Object.keys(KERNEL_SYMBOLS).sort());
    expect(generateDocs()).not.toContain("### Other symbols");
  });

  it("gives every symbol its prototype, its export and its doc", () => {
    const docs = generateDocs();
    for (const [name, def] of Object.entries(KERNEL_SYMBOLS)) {
      const entry = docs.slice(docs.indexOf(`#### \`${name}\`\n`));
      expect(entry, name).toContain(`${declaration(name, def)}\n\`\`\`\n\n${def.doc}\n\n${def.gpl ? "EXPORT_SYMBOL_GPL" : "EXPORT_SYMBOL"}`);
    }
  });

  /** usize fields that hold data, not a function's table index. */
  const DATA_POINTERS = new Set([
    "kunit.priv", "spinlock_t.owner", "rwlock_t.owner", "mutex.owner", "mutex.magic", "list_head.next", "list_head.prev",
  ]);

  it("documents a function pointer field as an operation and any other field as a value", () => {
    for (const [name, def] of Object.entries(STRUCTS)) {
      const fields = STRUCT_DOCS[name as keyof typeof STRUCTS].fields as Record<string, object>;
      expect(Object.keys(fields).sort(), name).toEqual(def.map(([f]) => f).sort());
      for (const [field, type] of def) {
        const keys = Object.keys(fields[field]!).sort();
        expect(keys, `${name}.${field}`).toEqual(
          type === "usize" && !DATA_POINTERS.has(`${name}.${field}`) ? ["context", "does", "empty", "returns", "signature"] : ["value"],
        );
      }
    }
  });

  it("says who advances f_pos for read, write and llseek", () => {
    const fops = STRUCT_DOCS.file_operations.fields;
    expect(fops.read).toMatchObject({ returns: expect.stringContaining("which the kernel adds to f_pos") });
    expect(fops.write).toMatchObject({ returns: expect.stringContaining("to make the new f_pos") });
    expect(fops.llseek).toMatchObject({ returns: expect.stringContaining("which the kernel stores as f_pos") });
  });

  it("is linked from the README", () => {
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain("(docs/kernel-api.md)");
  });
});
