// The recording's chunk checksum: zlib's CRC-32 when the runtime has it, the JS fallback
// otherwise; both must give the same value, chained or not, for every length.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crc32, crc32Js } from "../../src/vmm/recording/crc32";

describe("crc32", () => {
  it("gives the standard check value and matches zlib at every length and chaining point", () => {
    assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
    assert.equal(crc32Js(new TextEncoder().encode("123456789")), 0xcbf43926);
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 2654435761) >>> 13);
    for (let n = 0; n <= bytes.length; n += 7) {
      const s = bytes.subarray(3, 3 + n);
      const whole = crc32(s);
      assert.equal(crc32Js(s), whole, `length ${n}`);
      const cut = n >> 1;
      assert.equal(crc32Js(s.subarray(cut), crc32Js(s.subarray(0, cut))), whole, `length ${n} chained at ${cut}`);
    }
  });
});
