// The kernel daemon: its socket's path and its wire protocol's framing.

import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultSocketPath, LineDecoder, parseRequest, socketPath } from "../../host/cli/socket.js";

describe("the socket path", () => {
  it("is under $XDG_RUNTIME_DIR when it is set, else a per-user folder in the temporary directory", () => {
    expect(defaultSocketPath({ XDG_RUNTIME_DIR: "/run/user/1000" })).toBe("/run/user/1000/wasm-lkm/kernel.sock");
    expect(defaultSocketPath({})).toBe(join(tmpdir(), `wasm-lkm-${process.getuid!()}`, "kernel.sock"));
  });

  it("comes from --socket, else $WASM_LKM_SOCKET, else the default, made absolute", () => {
    const env = { WASM_LKM_SOCKET: "/srv/k.sock", XDG_RUNTIME_DIR: "/run/user/7" };
    expect(socketPath("/x/named.sock", env)).toBe("/x/named.sock");
    expect(socketPath(undefined, env)).toBe("/srv/k.sock");
    expect(socketPath(undefined, { XDG_RUNTIME_DIR: "/run/user/7" })).toBe("/run/user/7/wasm-lkm/kernel.sock");
    expect(socketPath("rel.sock", env)).toBe(join(process.cwd(), "rel.sock"));
  });
});

describe("the wire protocol", () => {
  it("cuts the stream into lines, keeping a line until its newline arrives", () => {
    const d = new LineDecoder();
    expect(d.push('{"argv":')).toEqual([]);
    expect(d.push('["ls"]}\n{"argv":["pwd"]}\n{"ar')).toEqual(['{"argv":["ls"]}', '{"argv":["pwd"]}']);
    expect(d.push('gv":["cat"]}\n')).toEqual(['{"argv":["cat"]}']);
  });

  it("takes a request only with a non-empty argv of strings", () => {
    expect(parseRequest('{"argv":["cat","/x"],"cwd":"/tmp"}')).toEqual({ argv: ["cat", "/x"], cwd: "/tmp" });
    for (const bad of ['{"argv":[]}', '{"argv":["syscall",1]}', '{"argv":"ls"}', '{"argv":["ls"],"cwd":3}', "ls", "null"]) {
      expect(parseRequest(bad)).toBeUndefined();
    }
  });
});
