import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LineDecoder, parseWatchFrame } from "../../../src/runtime/watch-stream.ts";

const enc = new TextEncoder();

describe("LineDecoder", () => {
  it("joins a frame split across chunks", () => {
    const d = new LineDecoder();
    assert.deepEqual(d.push(enc.encode('{"type":"ADD')), []);
    assert.deepEqual(d.push(enc.encode('ED","object":{}}')), []);
    assert.deepEqual(d.push(enc.encode("\n")), ['{"type":"ADDED","object":{}}']);
  });

  it("returns every complete frame of a chunk and keeps the tail", () => {
    const d = new LineDecoder();
    assert.deepEqual(d.push("a\nb\nc"), ["a", "b"]);
    assert.equal(d.pendingLength(), 1);
    assert.deepEqual(d.push("\n"), ["c"]);
  });

  it("decodes a multi-byte character split between chunks", () => {
    const bytes = enc.encode('{"v":"é€"}\n');
    const d = new LineDecoder();
    const cut = bytes.indexOf(0xe2) + 1; // inside the 3-byte euro sign
    assert.deepEqual(d.push(bytes.slice(0, cut)), []);
    assert.deepEqual(d.push(bytes.slice(cut)), ['{"v":"é€"}']);
  });

  it("drops empty lines and CR of CRLF endings", () => {
    const d = new LineDecoder();
    assert.deepEqual(d.push("x\r\n\n\r\ny\n"), ["x", "y"]);
  });

  it("flushes an unterminated last line at end of stream", () => {
    const d = new LineDecoder();
    d.push('{"a":1}');
    assert.deepEqual(d.end(), ['{"a":1}']);
    assert.deepEqual(d.end(), []);
  });
});

describe("parseWatchFrame", () => {
  it("parses object frames and ERROR frames", () => {
    const added = parseWatchFrame('{"type":"ADDED","object":{"kind":"X","metadata":{"name":"a"}}}');
    assert.equal(added.type, "ADDED");
    const error = parseWatchFrame('{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}}');
    assert.equal(error.type, "ERROR");
    assert.equal(error.type === "ERROR" ? error.object.code : 0, 410);
  });

  it("rejects malformed input with a clear error", () => {
    assert.throws(() => parseWatchFrame("{not json"), /not JSON/);
    assert.throws(() => parseWatchFrame('{"type":"WHAT","object":{}}'), /unknown watch frame type/);
    assert.throws(() => parseWatchFrame('{"type":"ADDED"}'), /without object/);
    assert.throws(() => parseWatchFrame('{"type":"MODIFIED","object":{}}'), /without metadata/);
  });
});
