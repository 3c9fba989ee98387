// The shared DeliveryScheduler: one timer serving many streams in due-time order.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DeliveryScheduler, type ScheduledStream } from "../../src/streamsim/delivery/scheduler";
import { until } from "./fixtures";

class FakeStream implements ScheduledStream {
  sent: number[] = [];
  constructor(
    readonly name: string,
    private dues: number[],
    private readonly log: string[],
  ) {}
  nextDue(): number | undefined {
    return this.dues[0];
  }
  sendDue(now: number): void {
    while (this.dues.length > 0 && this.dues[0]! <= now + 0.5) {
      this.sent.push(this.dues.shift()!);
      this.log.push(this.name);
    }
  }
}

describe("DeliveryScheduler", () => {
  it("interleaves streams by due time and stops a removed stream", async () => {
    const s = new DeliveryScheduler();
    const t0 = s.clock();
    const log: string[] = [];
    const a = new FakeStream("a", [t0 + 10, t0 + 40, t0 + 70], log);
    const b = new FakeStream("b", [t0 + 25, t0 + 55, t0 + 85], log);
    const c = new FakeStream("c", [t0 + 30, t0 + 1000], log);
    for (const x of [a, b, c]) s.schedule(x);
    await until(() => a.sent.length === 3 && b.sent.length === 3 && c.sent.length === 1, 3000, "sends");
    s.remove(c);
    // Streams are served in due-time order. A late timer (a loaded machine) lets a stream catch
    // up several packets in one call, so only the order of first service is fixed.
    assert.deepEqual([...new Set(log)], ["a", "b", "c"]);
    assert.deepEqual([log.filter((n) => n === "a").length, log.filter((n) => n === "b").length, log.filter((n) => n === "c").length], [3, 3, 1]);
    for (const x of [a, b, c]) for (const due of x.sent) assert.ok(due <= s.clock());
    assert.equal(s.size, 2);
    s.close();
    assert.equal(s.size, 0);
  });
});
