// Section 1: the linkage's size, counted by the repository's own counter (scripts/linkage-loc.mjs
// --json): the start/stop interface on both sides, by file, beside the rest of the server.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { Section, SectionResult } from "../section";

interface Count {
  file: string;
  lines: number;
}
interface LocJson {
  linkage: Record<string, Count[]>;
  linkageTotal: number;
  delivery: Count[];
  deliveryTotal: number;
  rest: Record<string, Count[]>;
  restTotal: number;
}

const THESIS_LINES = 9100;
const sum = (xs: Count[]) => xs.reduce((a, x) => a + x.lines, 0);
const short = (side: string) => (side.startsWith("node") ? "host (TypeScript)" : "guest (C)");

const linkageSize: Section = async (ctx) => {
  const loc = JSON.parse(execFileSync(process.execPath, [join(ctx.root, "scripts", "linkage-loc.mjs"), "--json"], { cwd: ctx.root, encoding: "utf8" })) as LocJson;
  const sides = Object.entries(loc.linkage);
  const host = sum(sides.find(([k]) => k.startsWith("node"))?.[1] ?? []);
  const guest = sum(sides.find(([k]) => !k.startsWith("node"))?.[1] ?? []);
  const restHost = sum(Object.entries(loc.rest).find(([k]) => k.startsWith("node"))?.[1] ?? []);
  const restGuest = sum(Object.entries(loc.rest).find(([k]) => !k.startsWith("node"))?.[1] ?? []);
  const server = loc.linkageTotal + loc.deliveryTotal + loc.restTotal;
  const share = loc.linkageTotal / server;
  const byFile = sides.flatMap(([side, files]) => files.map((f) => [short(side), f.file, f.lines] as (string | number)[]));
  const parts = [
    { part: "linkage, host side (TypeScript)", lines: host },
    { part: "linkage, guest side (C)", lines: guest },
    { part: "engine delivery control and driver (C)", lines: loc.deliveryTotal },
    { part: "rest of the host server (TypeScript)", lines: restHost },
    { part: "rest of the guest OS (C, asm)", lines: restGuest },
  ];
  const r: SectionResult = {
    id: "linkage-size",
    title: "Linkage size",
    thesis: "about 9.1K lines of added code",
    ours: `${loc.linkageTotal.toLocaleString("en-US")} lines (${host} TypeScript on the host, ${guest} C on the guest): ${((100 * loc.linkageTotal) / THESIS_LINES).toFixed(0)}% of the thesis's 9.1K, ${(100 * share).toFixed(0)}% of our server's ${server.toLocaleString("en-US")} lines`,
    method: [
      "`node scripts/linkage-loc.mjs --json`, the counter the repository keeps for this figure (docs/linkage.md): non-blank lines that are not only a comment.",
      '"Linkage" is the code that exists only because delivery moved to another machine: the start/stop protocol, its transport on both ends, the host-side backend that speaks it and the engine-side dispatcher and STATS reporter.',
      "The engine's delivery control and driver (scheduler, streams, RTP, disk) moved rather than was added, and is counted apart; so is the rest of the server: every other TypeScript file under src/streamsim/ and every other C, header and assembly file of the guest OS.",
    ].join(" "),
    differences: [
      "The thesis added its linkage to Darwin Streaming Server (C++, a large existing code base) and to HiTactix, so its 9.1K lines include adapting a server that was never meant to be split.",
      "Our host server was written for the split from the start, in TypeScript, and the engine is a small OS of our own: there is nothing to adapt, and the protocol is a handful of fixed-size messages (docs/linkage.md).",
      "Our counter skips blank and comment-only lines; the thesis does not say how it counted.",
    ].join(" "),
    tables: [
      { caption: "The linkage, by file", columns: ["side", "file", "lines"], rows: byFile },
      {
        caption: "The linkage beside the rest of the server",
        columns: ["part", "lines", "share of the server"],
        rows: parts.map((p) => [p.part, p.lines, `${((100 * p.lines) / server).toFixed(1)}%`]),
      },
    ],
    plots: [
      {
        file: "linkage-size.svg",
        caption: "Lines of code of our stream server by part (the linkage in red) beside the thesis's linkage",
        spec: {
          data: { values: [{ part: "the thesis's linkage", lines: THESIS_LINES }, ...parts] },
          mark: { type: "bar" },
          encoding: {
            y: { field: "part", type: "nominal", sort: null, title: null },
            x: { field: "lines", type: "quantitative", title: "lines (non-blank, non-comment)" },
            color: {
              condition: [
                { test: "indexof(datum.part, 'the thesis') == 0", value: "#1f77b4" },
                { test: "indexof(datum.part, 'linkage') == 0", value: "#d62728" },
              ],
              value: "#7f7f7f",
            },
          },
          height: 190,
        },
      },
    ],
    figures: {
      linkageLines: loc.linkageTotal,
      linkageHostLines: host,
      linkageGuestLines: guest,
      deliveryLines: loc.deliveryTotal,
      restHostLines: restHost,
      restGuestLines: restGuest,
      serverLines: server,
      linkageShareOfServer: share,
      ratioToThesis: loc.linkageTotal / THESIS_LINES,
    },
  };
  return r;
};

export default linkageSize;
