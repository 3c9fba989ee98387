#!/usr/bin/env node
// Counts the lines of code the linkage takes on each side (non-blank, non-comment-only lines),
// for comparison with the thesis's 9.1K added lines. "Linkage" = the code that exists only
// because delivery moved to another machine: the protocol, its transport on both ends, the
// node-side backend that speaks it and the engine-side command dispatcher and STATS reporter.
// Delivery itself (scheduler, streams, RTP, disk driver) is not linkage and is listed apart.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const sides = {
  "node (general-purpose side)": [
    "src/streamsim/ioengine/linkage-codec.ts",
    "src/streamsim/ioengine/linkage-client.ts",
    "src/streamsim/ioengine/engine-gateway.ts",
    "src/streamsim/ioengine/engine-host.ts",
    "src/streamsim/ioengine/content-disk.ts",
    "src/streamsim/delivery/ioengine-delivery.ts",
  ],
  "engine (guest)": ["guest/delivery/link_proto.h", "guest/delivery/linkage.h", "guest/delivery/linkage.c", "guest/delivery/engine.h", "guest/delivery/engine.c"],
};
const delivery = [
  "guest/delivery/sched.c", "guest/delivery/sched.h", "guest/delivery/stream.c", "guest/delivery/stream.h", "guest/delivery/rtp.c",
  "guest/delivery/rtp.h", "guest/delivery/ata.c", "guest/delivery/ata.h", "guest/delivery/content.c", "guest/delivery/content.h",
  "guest/delivery/clock.c", "guest/delivery/clock.h",
];

function loc(file) {
  let inBlock = false;
  let n = 0;
  for (const raw of readFileSync(join(root, file), "utf8").split("\n")) {
    let line = raw.trim();
    if (inBlock) {
      const end = line.indexOf("*/");
      if (end < 0) continue;
      inBlock = false;
      line = line.slice(end + 2).trim();
    }
    if (line.startsWith("/*")) {
      const end = line.indexOf("*/", 2);
      if (end < 0) {
        inBlock = true;
        continue;
      }
      line = line.slice(end + 2).trim();
    }
    if (line === "" || line.startsWith("//") || line.startsWith("*")) continue;
    n++;
  }
  return n;
}

let total = 0;
for (const [side, files] of Object.entries(sides)) {
  const counts = files.map((f) => [f, loc(f)]);
  const sum = counts.reduce((a, [, n]) => a + n, 0);
  total += sum;
  console.log(`${side}: ${sum} lines`);
  for (const [f, n] of counts) console.log(`  ${String(n).padStart(5)}  ${f}`);
}
console.log(`linkage total: ${total} lines (the thesis: ~9,100 added lines)`);
const d = delivery.reduce((a, f) => a + loc(f), 0);
console.log(`(not linkage: the engine's delivery control and driver, ${d} lines)`);
