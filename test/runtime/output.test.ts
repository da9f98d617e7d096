import { describe, expect, it } from "vitest";
import { OutputTail } from "../../src/runtime/output.js";

const text = (t: OutputTail) => {
  const { bytes, dropped } = t.bytes();
  return { text: bytes.toString("utf8"), dropped };
};

describe("OutputTail", () => {
  it("keeps everything under the limit", () => {
    const t = new OutputTail(1024);
    t.write(Buffer.from("a\n"));
    t.write(Buffer.from("b\n"));
    expect(text(t)).toEqual({ text: "a\nb\n", dropped: 0 });
  });

  it("keeps whole lines of the last `limit` bytes and counts the rest as dropped", () => {
    const t = new OutputTail(1024);
    const line = "y".repeat(99) + "\n";
    for (let i = 0; i < 30; i++) t.write(Buffer.from(line));
    const { text: kept, dropped } = text(t);
    expect(kept.length + dropped).toBe(3000);
    expect(kept.length).toBe(1000); // 1024 bytes cut back to the next line start
    expect(kept.split("\n").slice(0, -1).every((l) => l === "y".repeat(99))).toBe(true);
  });

  it("takes one chunk larger than the limit by its tail", () => {
    const t = new OutputTail(1024);
    t.write(Buffer.from("head\n"));
    t.write(Buffer.concat([Buffer.alloc(5000, 0x61), Buffer.from("\nend\n")]));
    expect(text(t)).toEqual({ text: "end\n", dropped: 5010 - 4 });
  });

  it("ignores writes after close (a step's leftover timers)", () => {
    const t = new OutputTail(1024);
    t.write(Buffer.from("in\n"));
    t.close();
    t.write(Buffer.from("late\n"));
    expect(text(t).text).toBe("in\n");
  });
});
