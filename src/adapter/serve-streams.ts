// The "serve" launch option: the debugged guest is the stream server's I/O engine. Before the
// machine is created, prepare() writes the content disk and chooses the engine's boot id (the
// guest's delivery cmdline); once the target has the machine, start() attaches an
// IoEngineDelivery to it (the backend never runs the machine: the debugger does, so a breakpoint
// in guest/delivery pauses delivery and continue resumes it) and runs the RTSP front on the host,
// which keeps answering while the guest is stopped.
import type { Machine } from "../vmm/machine";
import type { StopReason } from "../vmm/stop-reason";
import { CONTENT_DIR_ENV } from "../protocols/adapter-contract";
import { StreamServerApp } from "../streamsim/app";
import { buildContentDisk, type ContentDisk } from "../streamsim/ioengine/content-disk";
import { engineCmdline, newBootId } from "../streamsim/ioengine/engine-host";
import type { LaunchPlan } from "./launch-arguments";

type Output = (text: string) => void;

export class ServeStreams {
  private app: StreamServerApp | undefined;
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
    // The extension names a writable folder of its own for the sample clip (CONTENT_DIR_ENV).
    const content = o.content || process.env[CONTENT_DIR_ENV] || undefined;
    const { contentDir, sampleClip } = await StreamServerApp.prepareContent({
      ...(content !== undefined ? { contentDir: content } : {}),
      sampleClip: !o.content,
      announce: (step) => {
        if (step.kind === "sample-clip") out(`lvmm: making the sample clip (once; cached in ${step.contentDir})\n`);
      },
    });
    const names = sampleClip ? [sampleClip] : [];
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
    this.app = await StreamServerApp.start({
      arch: "ioengine",
      attach: { machine, bootId: this.bootId, disk: this.disk, mips },
      port: this.options.port,
      metricsPort: this.options.metricsPort,
      contentDir: this.contentDir,
      sampleClip: false,
      log: (m) => out(`[streamsim] ${m}\n`),
    });
    const server = this.app.server;
    out(`lvmm: serving streams: RTSP on rtsp://${server.host}:${server.port}/ (delivery on this guest; up once it says HELLO), metrics on http://127.0.0.1:${server.metricsPort}/metrics\n`);
    for (const n of this.names) out(`lvmm: open it with: ffplay ${server.url(n)}\n`);
  }

  /**
   * Every stop of the debugged guest: one it cannot continue from (a triple fault, HLT with
   * interrupts off) takes delivery down, as the stand-alone server does when its engine dies.
   * Breakpoints and other stops only pause delivery.
   */
  guestStopped(stop: StopReason | undefined): void {
    if (stop?.kind === "triple-fault" || stop?.kind === "halted") this.app?.engines[0]?.guestDied(`the guest stopped: ${stop.kind} (${stop.detail})`);
  }

  get rtspPort(): number | undefined {
    return this.app?.server.port;
  }

  /** Stops RTSP (its sessions end) and lets go of the machine; the target destroys it. */
  close(): Promise<void> {
    this.closing ??= this.app?.close() ?? Promise.resolve();
    return this.closing;
  }
}
