// The "serve" launch option: the debugged guest is the stream server's I/O engine. Before the
// machine is created, prepare() writes the content disk and chooses the engine's boot id (the
// guest's delivery cmdline); once the target has the machine, start() attaches an
// IoEngineDelivery to it (the backend never runs the machine: the debugger does, so a breakpoint
// in guest/delivery pauses delivery and continue resumes it) and runs the RTSP front on the host,
// which keeps answering while the guest is stopped.
import { join } from "node:path";
import type { Machine } from "../vmm/machine";
import type { StopReason } from "../vmm/stop-reason";
import { PACKAGE_ROOT } from "../cli/kernel-path";
import { makeSampleClip } from "../streamsim/content/sampleClip";
import { IoEngineDelivery } from "../streamsim/delivery/ioEngine";
import { buildContentDisk, type ContentDisk } from "../streamsim/ioengine/contentDisk";
import { engineCmdline, newBootId } from "../streamsim/ioengine/engineHost";
import { startServer, type StreamServerHandle } from "../streamsim/server/streamServer";
import type { LaunchPlan } from "./launch-arguments";

type Output = (text: string) => void;

export class ServeStreams {
  private engine: IoEngineDelivery | undefined;
  private server: StreamServerHandle | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly options: NonNullable<LaunchPlan["serve"]>,
    readonly contentDir: string,
    readonly disk: ContentDisk,
    readonly bootId: number,
    private readonly names: string[],
  ) {}

  /** Makes the content (the sample clip, once) and its disk image; the plan's cmdline and disk to boot with. */
  static async prepare(plan: LaunchPlan, out: Output): Promise<{ serve: ServeStreams; plan: LaunchPlan }> {
    const o = plan.serve!;
    let contentDir = o.content;
    const names: string[] = [];
    if (!contentDir) {
      // The extension names a writable folder of its own (CONTENT_DIR_ENV in src/extension/adapter-contract.ts).
      contentDir = process.env.LVMM_CONTENT_DIR || join(PACKAGE_ROOT, ".cache", "content");
      out(`lvmm: making the sample clip (once; cached in ${contentDir})\n`);
      names.push((await makeSampleClip({ contentDir })).name);
    }
    const disk = await buildContentDisk(contentDir, (m) => out(`lvmm: ${m}\n`));
    if (!disk.entries.length) throw new Error(`serve: no content in ${contentDir} (ingest MPEG-TS files there first)`);
    if (!names.length) names.push(...disk.entries.map((e) => e.name));
    const bootId = newBootId(1);
    // the engine's own options first; the user's cmdline (e.g. ip=) after them
    const cmdline = [engineCmdline({ bootId }), plan.cmdline].filter(Boolean).join(" ");
    const serve = new ServeStreams(o, contentDir, disk, bootId, names);
    return { serve, plan: { ...plan, cmdline, disk: disk.image, pace: true } };
  }

  /** Attaches delivery to the debugged machine and serves RTSP; prints the URLs. */
  async start(machine: Machine, mips: number, out: Output): Promise<void> {
    const log = (m: string) => out(`[streamsim] ${m}\n`);
    this.engine = await IoEngineDelivery.attach({ machine, bootId: this.bootId, disk: this.disk, mips, log });
    this.server = await startServer({
      port: this.options.port,
      metrics: { port: this.options.metricsPort },
      contentDir: this.contentDir,
      backend: this.engine,
      log,
    });
    out(`lvmm: serving streams: RTSP on rtsp://${this.server.host}:${this.server.port}/ (delivery on this guest; up once it says HELLO), metrics on http://127.0.0.1:${this.server.metricsPort}/metrics\n`);
    for (const n of this.names) out(`lvmm: open it with: ffplay ${this.server.url(n)}\n`);
  }

  /**
   * Every stop of the debugged guest: one it cannot continue from (a triple fault, HLT with
   * interrupts off) takes delivery down, as the stand-alone server does when its engine dies.
   * Breakpoints and other stops only pause delivery.
   */
  guestStopped(stop: StopReason | undefined): void {
    if (stop?.kind === "triple-fault" || stop?.kind === "halted") this.engine?.guestDied(`the guest stopped: ${stop.kind} (${stop.detail})`);
  }

  get rtspPort(): number | undefined {
    return this.server?.port;
  }

  /** Stops RTSP (its sessions end) and lets go of the machine; the target destroys it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.server?.close();
      } finally {
        await this.engine?.close();
      }
    })();
    return this.closing;
  }
}
