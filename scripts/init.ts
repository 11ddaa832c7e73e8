// wasm-lkm init: a new project for a module outside the tree, as a Makefile and a Kbuild file start one for a
// Linux module: the module's source, its KUnit test module, a vitest test that loads it, a script to try it,
// and the settings editors and tsc need to read AssemblyScript that imports the kernel.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, sep } from "node:path";
import { WASM_LKM_VERSION } from "../abi/version.js";
import { kunitSource } from "./init/kunit.js";
import { includeSource, MODULE_TYPES, moduleSource, type ModuleType } from "./init/modules.js";
import { testSource } from "./init/tests.js";
import { ROOT } from "./paths.js";

export { MODULE_TYPES, type ModuleType };

export interface InitOptions {
  readonly type?: ModuleType;
  /** How package.json names wasm-lkm: default this checkout as file:DIR, or ^VERSION when wasm-lkm is an installed package. */
  readonly dependency?: string;
}

/** A project that cannot be made; the message says why, as the command prints it. */
export class InitError extends Error {}

/** A module name for a project: also an identifier prefix in its source, so it starts with a letter or '_'. */
const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,54}$/;

/** The version range this wasm-lkm was developed and tested with, for a project's own devDependencies. */
function devRange(pkg: string): string {
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
  return manifest.devDependencies[pkg]!;
}

function defaultDependency(): string {
  return ROOT.includes(`${sep}node_modules${sep}`) ? `^${WASM_LKM_VERSION}` : `file:${ROOT}`;
}

function packageJson(project: string, name: string, dependency: string): string {
  const build = `wasm-lkm build src/${name}.ts src/${name}_test.ts -o build/`;
  const kunit = `npm run build && wasm-lkm kunit run build/${name}.wasm build/${name}_test.wasm`;
  const manifest = {
    name: project.toLowerCase(),
    version: "0.1.0",
    private: true,
    type: "module",
    description: `${name}: a wasm-lkm kernel module`,
    scripts: {
      build,
      kunit,
      test: "npm run kunit && vitest run",
      try: "npm run build && wasm-lkm run -e try.lkm",
      check: "tsc -p . && tsc -p test",
    },
    devDependencies: {
      "@types/node": devRange("@types/node"), typescript: devRange("typescript"), vitest: devRange("vitest"), "wasm-lkm": dependency,
    },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** The kernel's own asc options (those the loader needs), for AssemblyScript tools that read asconfig.json. */
function asconfig(name: string): string {
  return `${JSON.stringify({ extends: "./node_modules/wasm-lkm/asconfig.json", entries: [`src/${name}.ts`] }, null, 2)}\n`;
}

/** tsc and editors read the module as AssemblyScript. */
function tsconfig(): string {
  const config = { extends: "assemblyscript/std/assembly.json", compilerOptions: { noEmit: true }, include: ["src/**/*.ts"] };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The tests are TypeScript for Node: their own settings, which vitest's transform also reads instead of the module's. */
function testTsconfig(): string {
  const compilerOptions = {
    target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: ["node"],
  };
  return `${JSON.stringify({ compilerOptions, include: ["./**/*.ts"] }, null, 2)}\n`;
}

const TRY: Record<ModuleType, (name: string) => string[]> = {
  misc: (n) => [`insmod build/${n}.wasm who=you count=2`, "lsmod", `cat /sys/module/${n}/parameters/who`, `rmmod ${n}`],
  chrdev: (n) => [`insmod build/${n}.wasm`, `cat /dev/${n}`, `echo written > /dev/${n}`, `cat /dev/${n}`, `rmmod ${n}`],
  fs: (n) => [`insmod build/${n}.wasm`, `mount -t ${n} none /mnt`, "ls -l /mnt", "cat /mnt/greeting", "umount /mnt", `rmmod ${n}`],
  syscall: (n) => [`insmod build/${n}.wasm`, "syscall 335 hello", `rmmod ${n}`],
};

function tryScript(type: ModuleType, name: string): string {
  return ["# npm run try: build the module, then run these lines in a kernel of their own, each shown before its output.", ...TRY[type](name), "dmesg -t", ""].join("\n");
}

function readme(name: string, type: ModuleType): string {
  return `# ${name}

A kernel module for wasm-lkm (a ${type} module): AssemblyScript compiled to WebAssembly, loaded by a kernel
that behaves like Linux's.

| command | what it does |
|---|---|
| \`npm install\` | installs wasm-lkm (the kernel, its build and its header), vitest and TypeScript |
| \`npm test\` | \`npm run kunit\`, then (if the KUnit suite passed) \`vitest run\`: \`test/${name}.test.ts\` loads the module into fresh kernels |
| \`npm run kunit\` | builds, then \`wasm-lkm kunit run build/${name}.wasm build/${name}_test.wasm\`: the KUnit suite, as kunit.py run prints it |
| \`npm run build\` | builds \`src/${name}.ts\` and \`src/${name}_test.ts\` into \`build/\` (\`npx wasm-lkm build\`) |
| \`npm run try\` | builds, then runs \`try.lkm\` in a kernel: insmod, what it shows, rmmod, dmesg |
| \`npm run check\` | checks the modules and the test with tsc, as an editor does |

- \`src/${name}.ts\`: the module. It imports the kernel's API from \`wasm-lkm/kernel\`; the reference of every symbol and
  operation is \`node_modules/wasm-lkm/docs/kernel-api.md\`. The module macros (\`MODULE_LICENSE\`, \`module_param\`,
  \`EXPORT_SYMBOL\`...) are read by the build, which also refuses what the kernel would refuse at insmod (a missing
  licence, an \`init_module\` of the wrong type, \`console.log\`), naming the line.
- \`src/${name}_test.ts\`: its KUnit test module (Linux's \`${name}_kunit.c\`), from \`wasm-lkm/kunit\`. Its cases call
  the symbols \`${name}\` exports (\`EXPORT_SYMBOL\`), declared in \`src/include/${name}.ts\` as a header declares them;
  the build records \`depends=${name}\`, so \`${name}\` loads first. The suite runs when the module loads and prints
  KTAP to the kernel log; \`wasm-lkm kunit run\` prints kunit.py's summary (\`--raw_output\` for the KTAP) and
  exits 1 when a case fails, which stops \`npm test\` there, the case named. To have the cases as vitest tests
  instead, \`kunitSuites\` from \`wasm-lkm/testing\` makes each one (\`node_modules/wasm-lkm/docs/testing.md\`).
- \`test/${name}.test.ts\`: vitest, driving a \`Kernel\` from \`import { Kernel } from "wasm-lkm"\`; it loads
  \`build/${name}.wasm\`, so \`npx vitest\` on its own tests what \`npm run build\` last built.
- \`try.lkm\`: lines for \`npx wasm-lkm run\`; \`npx wasm-lkm shell\` gives the same commands interactively.
- \`tsconfig.json\`: AssemblyScript's types for tsc and editors (\`test/tsconfig.json\`: Node's, for the test);
  \`asconfig.json\`: the kernel's compiler options for AssemblyScript tools (\`wasm-lkm build\` always uses them:
  the loader needs them).
`;
}

/** The files of a new project, relative to its directory. */
function projectFiles(project: string, name: string, type: ModuleType, dependency: string): [string, string][] {
  return [
    ["package.json", packageJson(project, name, dependency)],
    ["asconfig.json", asconfig(name)],
    ["tsconfig.json", tsconfig()],
    ["test/tsconfig.json", testTsconfig()],
    [`src/${name}.ts`, moduleSource(type, name)],
    [`src/include/${name}.ts`, includeSource(type, name)],
    [`src/${name}_test.ts`, kunitSource(type, name)],
    [`test/${name}.test.ts`, testSource(type, name)],
    ["try.lkm", tryScript(type, name)],
    ["README.md", readme(name, type)],
    [".gitignore", "node_modules/\nbuild/\n"],
  ];
}

/**
 * Make a project in dir (which must not exist, or be empty) for the module its base name names ('-' read as
 * '_', as Kbuild does). Returns the files written, relative to dir.
 */
export function initProject(dir: string, opts: InitOptions = {}): string[] {
  const project = basename(dir);
  if (!NAME.test(project)) {
    throw new InitError(`wasm-lkm init: '${project}': a module name is up to 55 letters, digits, '_' and '-', starting with a letter or '_'`);
  }
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new InitError(`wasm-lkm init: ${dir}: Directory not empty`);
  const name = project.replace(/-/g, "_");
  const files = projectFiles(project, name, opts.type ?? "misc", opts.dependency ?? defaultDependency());
  for (const [file, text] of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return files.map(([file]) => file);
}
