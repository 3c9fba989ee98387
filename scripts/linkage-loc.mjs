#!/usr/bin/env node
// Counts the lines of code the linkage takes on each side (non-blank, non-comment-only lines),
// for comparison with the thesis's 9.1K added lines. "Linkage" = the code that exists only
// because delivery moved to another machine: the protocol, its transport on both ends, the
// node-side backend that speaks it and the engine-side command dispatcher and STATS reporter.
// Delivery itself (scheduler, streams, RTP, disk driver) is not linkage and is listed apart.
import { readdirSync, readFileSync } from "node:fs";
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
  "guest/delivery/sched.c",
  "guest/delivery/sched.h",
  "guest/delivery/stream.c",
  "guest/delivery/stream.h",
  "guest/delivery/rtp.c",
  "guest/delivery/rtp.h",
  "guest/delivery/ata.c",
  "guest/delivery/ata.h",
  "guest/delivery/content.c",
  "guest/delivery/content.h",
  "guest/delivery/clock.c",
  "guest/delivery/clock.h",
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

// --json: the same counts as one JSON object on stdout (npm run eval's linkage-size section), and
// beside them the rest of the server, counted the same way: the general-purpose side's other
// TypeScript (src/streamsim/) and the guest OS's other C and assembly (guest/, delivery apart).
if (process.argv.includes("--json")) {
  const linked = new Set(Object.values(sides).flat());
  const count = (files) => files.map((file) => ({ file, lines: loc(file) }));
  const walk = (dir, keep) => readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(`${dir}/${e.name}`, keep) : keep(e.name) ? [`${dir}/${e.name}`] : []));
  const rest = {
    "node (general-purpose side)": walk("src/streamsim", (n) => n.endsWith(".ts")).filter((f) => !linked.has(f)),
    "engine (guest)": walk("guest", (n) => /\.(c|h|S)$/.test(n)).filter((f) => !linked.has(f) && !delivery.includes(f) && !f.startsWith("guest/build/")),
  };
  const sideCounts = Object.fromEntries(Object.entries(sides).map(([k, files]) => [k, count(files.sort())]));
  const restCounts = Object.fromEntries(Object.entries(rest).map(([k, files]) => [k, count(files.sort())]));
  const sum = (xs) => xs.reduce((a, x) => a + x.lines, 0);
  console.log(
    JSON.stringify({
      linkage: sideCounts,
      linkageTotal: Object.values(sideCounts).reduce((a, xs) => a + sum(xs), 0),
      delivery: count(delivery),
      deliveryTotal: sum(count(delivery)),
      rest: restCounts,
      restTotal: Object.values(restCounts).reduce((a, xs) => a + sum(xs), 0),
    }),
  );
  process.exit(0);
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
