// The status bar's text for `lvmm/status` events, and which bodies it accepts.
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { formatStatus, isLvmmStatusBody } from "../../src/extension/status-format";

test("formats state, instruction count and virtual seconds", () => {
  assert.equal(formatStatus({ state: "paused", icount: 1234567, virtualSeconds: 0.0025 }), "LVMM: paused icount 1234567 t=0.002500 s");
  assert.equal(formatStatus({ state: "running", icount: "18446744073709551615", virtualSeconds: 12 }), "LVMM: running icount 18446744073709551615 t=12.000000 s");
});

test("rejects bodies the adapter should never send", () => {
  assert.equal(isLvmmStatusBody({ state: "paused", icount: 1, virtualSeconds: 0 }), true);
  for (const bad of [null, 7, {}, { state: "paused", icount: "12a", virtualSeconds: 0 }, { state: "paused", icount: 1, virtualSeconds: Number.NaN }, { state: 1, icount: 1, virtualSeconds: 0 }]) {
    assert.equal(isLvmmStatusBody(bad), false, JSON.stringify(bad));
  }
});
