import { execFileSync } from "node:child_process";
import { mkdirSync, truncateSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { KernelError } from "../../host/kernel/error.js";
import { MODULE_FILE_MAX, readModuleFile } from "../../host/kmod/file.js";
import { scratchDir } from "../helpers.js";

const { dir, cleanup } = scratchDir("kmod-file");
afterAll(cleanup);

function refused(path: string, max?: number): KernelError {
  try {
    readModuleFile(path, max);
  } catch (e) {
    expect(e).toBeInstanceOf(KernelError);
    return e as KernelError;
  }
  throw new Error(`${path} was read`);
}

describe("readModuleFile", () => {
  it("reads a regular file whole, up to the limit", () => {
    writeFileSync(`${dir}/ten`, "0123456789");
    expect(new TextDecoder().decode(readModuleFile(`${dir}/ten`, 10))).toBe("0123456789");
    expect(refused(`${dir}/ten`, 9).code).toBe("EFBIG");
  });

  it("refuses a file over 64 MiB with EFBIG, by its size, without reading it", () => {
    writeFileSync(`${dir}/sparse`, "");
    truncateSync(`${dir}/sparse`, MODULE_FILE_MAX + 1024 * 1024);
    const err = refused(`${dir}/sparse`);
    expect(err.code).toBe("EFBIG");
    expect(err.message).toBe(`${dir}/sparse: ${65 * 1024 * 1024} bytes, more than ${64 * 1024 * 1024}`);
  });

  it("refuses a directory with EISDIR", () => {
    mkdirSync(`${dir}/d`);
    expect(refused(`${dir}/d`).code).toBe("EISDIR");
  });

  it("refuses a FIFO nobody writes to with EINVAL, at once", () => {
    execFileSync("mkfifo", [`${dir}/fifo`]);
    expect(refused(`${dir}/fifo`).code).toBe("EINVAL");
  });

  it("refuses a character device that never ends with EINVAL", () => {
    expect(refused("/dev/zero").code).toBe("EINVAL");
  });

  it("is ENOENT for no file, and the host's errno for a path through a file", () => {
    expect(refused(`${dir}/nothing`).code).toBe("ENOENT");
    expect(refused(`${dir}/ten/x`).code).toBe("ENOTDIR");
  });
});
