// The `lvmm` launch configuration: its TypeScript type (the one source of truth that
// package.json's configurationAttributes.launch is checked against), and the validation that
// turns what launch.json sent into options the target can use, naming any argument that is wrong.
import { readFileSync, statSync } from "node:fs";
import { ElfError, validateKernel } from "../vmm/elf";
import { STREAM_SERVER_DEFAULTS } from "../streamsim/defaults";
import type { SourceMapRule } from "./source-paths";

/** A host UDP port forwarded to a guest UDP port over the NIC wire. */
export interface UdpBridgeRule {
  /** UDP port on 127.0.0.1 that the adapter listens on. */
  hostPort: number;
  /** UDP port of the guest service the datagrams go to (e.g. 7 for echo). */
  guestPort: number;
}

/**
 * The "record" launch option: accepted and validated, but a debug session does not record yet (the
 * adapter says so in the Debug Console). Recordings come from `lvmm record` and the I/O Engine
 * panel's flight recorder; "replay" debugs one.
 */
export interface RecordOptions {
  /** Record the session's nondeterministic inputs. */
  enabled?: boolean;
  /** File the recording is written to (.lvmmrec). */
  path?: string;
  /** Virtual ms between checkpoints. */
  checkpointIntervalMs?: number;
}

/**
 * Serve RTSP streams from the debugged guest: the adapter boots it as the I/O engine (its
 * delivery cmdline and the content disk) and runs the stream server's RTSP front on the host
 * with delivery on this very machine, so breakpoints in guest/delivery hit while clients play.
 */
export interface ServeOptions {
  /** RTSP port on 127.0.0.1 (default 8554; 0 = any free port). */
  port?: number;
  /** Prometheus /metrics port on 127.0.0.1 (default 9998; 0 = any free port). */
  metricsPort?: number;
  /** Content directory (MPEG-TS + hint index); default: the sample clip in .cache/content, made once with ffmpeg. */
  content?: string;
}

/** What a launch.json configuration of type `lvmm` may carry besides type/request/name. */
export interface LvmmLaunchOptions {
  /** Multiboot ELF of the guest kernel (with DWARF for source-level debugging). */
  kernel: string;
  /** Guest command line. */
  cmdline?: string;
  /** Guest RAM in MiB. */
  memoryMB?: number;
  /** Virtual CPU speed, million instructions per virtual second. */
  mips?: number;
  /** Stop at the kernel's first instruction. */
  stopOnEntry?: boolean;
  /** Use v86's JIT for free-running slices. */
  jit?: boolean;
  /** Pace virtual time to wall-clock time while the guest runs (timers and network peers see real time). */
  pace?: boolean;
  /** Attach the e1000 NIC. */
  nic?: boolean;
  /** MAC address of the NIC, "52:54:00:12:34:56". */
  mac?: string;
  /** Host UDP ports bridged to guest UDP services. */
  udpBridge?: UdpBridgeRule[];
  /** Guest IPv4 address the bridge sends to (default: the ip= of cmdline, else 10.0.2.15). */
  guestIp?: string;
  /**
   * UDP echo requests per virtual second injected on the NIC's wire while the session runs, at
   * a steady rate on the virtual clock (deterministic: reverse execution and replays stay exact).
   */
  echoLoad?: number;
  /** Recording for time-travel replay (reserved). */
  record?: RecordOptions;
  /** Log the DAP traffic to the debug console. */
  trace?: boolean;
  /** Serve RTSP streams with delivery on this guest (the I/O engine). */
  serve?: ServeOptions;
  /** Debug a replay of this recording (.lvmmrec) instead of a live run; "kernel" must be the recorded image. */
  replay?: string;
  /** Build-time path prefix -> local path prefix of the kernel's sources, for a kernel built elsewhere (longest prefix wins). */
  sourceMap?: Record<string, string>;
  /** Serve the GDB remote protocol on 127.0.0.1 at this port (0: any free one) for the session's machine. */
  gdbPort?: number;
}

type JsonType = "string" | "integer" | "number" | "boolean" | "array" | "object";
type JsonTypeOf<T> = T extends string ? "string" : T extends number ? "integer" | "number" : T extends boolean ? "boolean" : T extends unknown[] ? "array" : "object";

/**
 * JSON type of each launch property. The mapped type makes tsc reject a missing, extra or
 * mistyped entry, so this table is the TypeScript type in a form a test can compare with package.json.
 */
export const LAUNCH_PROPERTY_TYPES = {
  kernel: "string",
  cmdline: "string",
  memoryMB: "integer",
  mips: "number",
  stopOnEntry: "boolean",
  jit: "boolean",
  pace: "boolean",
  nic: "boolean",
  mac: "string",
  udpBridge: "array",
  guestIp: "string",
  echoLoad: "number",
  record: "object",
  trace: "boolean",
  serve: "object",
  replay: "string",
  sourceMap: "object",
  gdbPort: "integer",
} as const satisfies { [K in keyof LvmmLaunchOptions]-?: JsonTypeOf<NonNullable<LvmmLaunchOptions[K]>> } & Record<string, JsonType>;

/** The highest "echoLoad" rate (the guest's receive ring and echo service keep up with far less). */
export const MAX_ECHO_LOAD = 20_000;

export const REQUIRED_LAUNCH_PROPERTIES: readonly (keyof LvmmLaunchOptions)[] = ["kernel"];

/** A launch argument the user got wrong; the message names it and says what to do. */
export class LaunchArgumentError extends Error {
  override readonly name = "LaunchArgumentError";
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(`launch argument "${argument}": ${message}`);
  }
}

/** Validated options, with defaults filled in and the kernel read. */
export interface LaunchPlan {
  kernelPath: string;
  kernelBytes: Uint8Array;
  cmdline: string;
  memoryMB: number;
  mips: number;
  stopOnEntry: boolean;
  jit: boolean;
  pace: boolean;
  nic: false | { mac?: Uint8Array };
  udpBridge: UdpBridgeRule[];
  guestIp: string;
  /** UDP echo requests per virtual second on the wire (undefined: none) */
  echoLoad: number | undefined;
  record: RecordOptions | undefined;
  trace: boolean;
  /** serve streams (ports 0 = any free one; content undefined = the sample clip) */
  serve: { port: number; metricsPort: number; content: string | undefined } | undefined;
  /** the "replay" option: the recording to debug (replay-launch.ts fills in its configuration) */
  replay: string | undefined;
  /** the "gdbPort" option: a GDB stub beside the session (0 = any free port) */
  gdbPort: number | undefined;
  /** IDE primary master image (the stream server's content disk when serving) */
  disk?: Uint8Array;
  /** the "sourceMap" option as rules (source-paths.ts) */
  sourceMap: SourceMapRule[];
}

function typeOfJson(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  return typeof v;
}

function expect(name: string, v: unknown, type: JsonType): void {
  const ok = type === "integer" ? typeof v === "number" && Number.isInteger(v) : type === "array" ? Array.isArray(v) : type === "object" ? typeOfJson(v) === "object" : typeof v === type;
  if (!ok) throw new LaunchArgumentError(name, `expected ${type === "integer" ? "an integer" : `a ${type}`}, got ${typeOfJson(v)} ${JSON.stringify(v)}`);
}

function parseMac(s: string): Uint8Array {
  const m = /^([0-9a-f]{2})([:-][0-9a-f]{2}){5}$/i.exec(s);
  if (!m) throw new LaunchArgumentError("mac", `"${s}" is not a MAC address like 52:54:00:12:34:56`);
  const bytes = Uint8Array.from(s.split(/[:-]/).map((h) => parseInt(h, 16)));
  if (bytes[0]! & 1) throw new LaunchArgumentError("mac", `"${s}" is a multicast address; the first byte must be even`);
  return bytes;
}

function isIpv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function port(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) throw new LaunchArgumentError(name, `expected a port number 1..65535, got ${JSON.stringify(v)}`);
  return v;
}

function parseSourceMap(o: Record<string, unknown> | undefined): SourceMapRule[] {
  return Object.entries(o ?? {}).map(([build, local]) => {
    const name = `sourceMap[${JSON.stringify(build)}]`;
    if (build === "") throw new LaunchArgumentError(name, "the build-time path prefix must not be empty");
    if (typeof local !== "string" || local === "")
      throw new LaunchArgumentError(name, `expected the local path prefix as a non-empty string, got ${JSON.stringify(local)}; e.g. "sourceMap": { "/build/guest": "\${workspaceFolder}/guest" }`);
    return [build, local] as const;
  });
}

/** Validates launch.json's arguments. Throws LaunchArgumentError naming the first bad one. */
export function parseLaunchArguments(raw: Record<string, unknown>): LaunchPlan {
  for (const [name, type] of Object.entries(LAUNCH_PROPERTY_TYPES)) {
    if (raw[name] !== undefined) expect(name, raw[name], type);
  }
  if (raw.kernel === undefined || raw.kernel === "") throw new LaunchArgumentError("kernel", 'missing; set it to the guest\'s multiboot ELF, e.g. "${workspaceFolder}/guest/build/ioengine.elf"');
  const kernelPath = raw.kernel as string;
  let st;
  try {
    st = statSync(kernelPath);
  } catch {
    throw new LaunchArgumentError("kernel", `${kernelPath} does not exist; build the guest (make -C guest) or fix the path`);
  }
  if (!st.isFile()) throw new LaunchArgumentError("kernel", `${kernelPath} is not a file`);
  const kernelBytes = new Uint8Array(readFileSync(kernelPath));
  try {
    validateKernel(kernelBytes);
  } catch (e) {
    if (e instanceof ElfError) throw new LaunchArgumentError("kernel", `${kernelPath} cannot be booted: ${e.message}`);
    throw e;
  }
  const memoryMB = (raw.memoryMB as number | undefined) ?? 32;
  if (memoryMB < 4 || memoryMB > 2048) throw new LaunchArgumentError("memoryMB", `must be 4..2048 MiB, got ${memoryMB}`);
  const mips = (raw.mips as number | undefined) ?? 500;
  if (!(mips > 0 && mips <= 100000)) throw new LaunchArgumentError("mips", `must be a positive number of million instructions per virtual second, got ${mips}`);
  const cmdline = (raw.cmdline as string | undefined) ?? "";
  if (/[\0\n]/.test(cmdline) || cmdline.length > 255) throw new LaunchArgumentError("cmdline", "must be one line of at most 255 characters");

  const udpBridge = ((raw.udpBridge as unknown[] | undefined) ?? []).map((r, i) => {
    const name = `udpBridge[${i}]`;
    if (typeOfJson(r) !== "object") throw new LaunchArgumentError(name, `expected an object { "hostPort": N, "guestPort": N }, got ${JSON.stringify(r)}`);
    const o = r as Record<string, unknown>;
    for (const k of Object.keys(o)) if (k !== "hostPort" && k !== "guestPort") throw new LaunchArgumentError(`${name}.${k}`, "unknown property; use hostPort and guestPort");
    return { hostPort: port(`${name}.hostPort`, o.hostPort), guestPort: port(`${name}.guestPort`, o.guestPort) };
  });
  const hostPorts = new Set<number>();
  for (const [i, r] of udpBridge.entries()) {
    if (hostPorts.has(r.hostPort)) throw new LaunchArgumentError(`udpBridge[${i}].hostPort`, `port ${r.hostPort} is bridged twice`);
    hostPorts.add(r.hostPort);
  }
  const nicOn = (raw.nic as boolean | undefined) ?? true;
  if (!nicOn && udpBridge.length) throw new LaunchArgumentError("udpBridge", 'needs the NIC; remove "nic": false or the bridge');
  const mac = raw.mac !== undefined ? parseMac(raw.mac as string) : undefined;
  const cmdIp = /(?:^|\s)ip=(\S+)/.exec(cmdline)?.[1];
  const guestIp = (raw.guestIp as string | undefined) ?? cmdIp ?? "10.0.2.15";
  if (!isIpv4(guestIp)) throw new LaunchArgumentError(raw.guestIp !== undefined ? "guestIp" : "cmdline", `"${guestIp}" is not an IPv4 address`);

  const echoLoad = raw.echoLoad as number | undefined;
  if (echoLoad !== undefined) {
    if (!(echoLoad > 0 && echoLoad <= MAX_ECHO_LOAD))
      throw new LaunchArgumentError("echoLoad", `must be a number of UDP echo requests per virtual second, above 0 and at most ${MAX_ECHO_LOAD}, got ${echoLoad}`);
    if (!nicOn) throw new LaunchArgumentError("echoLoad", 'needs the NIC; remove "nic": false or echoLoad');
    if (raw.replay !== undefined) throw new LaunchArgumentError("echoLoad", "a replay takes its inputs from the recording; remove echoLoad");
  }

  let record: RecordOptions | undefined;
  if (raw.record !== undefined) {
    const o = raw.record as Record<string, unknown>;
    const known: Record<string, JsonType> = { enabled: "boolean", path: "string", checkpointIntervalMs: "number" };
    for (const [k, v] of Object.entries(o)) {
      const t = known[k];
      if (!t) throw new LaunchArgumentError(`record.${k}`, "unknown property; use enabled, path, checkpointIntervalMs");
      expect(`record.${k}`, v, t);
    }
    if (o.checkpointIntervalMs !== undefined && !((o.checkpointIntervalMs as number) > 0)) throw new LaunchArgumentError("record.checkpointIntervalMs", "must be positive");
    record = o as RecordOptions;
  }
  let serve: LaunchPlan["serve"];
  if (raw.serve !== undefined) {
    const o = raw.serve as Record<string, unknown>;
    const known: Record<string, JsonType> = { port: "integer", metricsPort: "integer", content: "string" };
    for (const [k, v] of Object.entries(o)) {
      const t = known[k];
      if (!t) throw new LaunchArgumentError(`serve.${k}`, "unknown property; use port, metricsPort, content");
      expect(`serve.${k}`, v, t);
    }
    const anyPort = (k: string, d: number) => (o[k] === 0 ? 0 : o[k] === undefined ? d : port(`serve.${k}`, o[k]));
    if (raw.pace === false) throw new LaunchArgumentError("pace", 'serving streams needs virtual time paced to the wall clock; remove "pace": false');
    if (!nicOn) throw new LaunchArgumentError("nic", 'serving streams needs the NIC; remove "nic": false');
    serve = { port: anyPort("port", STREAM_SERVER_DEFAULTS.port), metricsPort: anyPort("metricsPort", STREAM_SERVER_DEFAULTS.metricsPort), content: o.content as string | undefined };
  }
  const gdbPort = raw.gdbPort === 0 || raw.gdbPort === undefined ? (raw.gdbPort as 0 | undefined) : port("gdbPort", raw.gdbPort);
  return {
    gdbPort,
    serve,
    sourceMap: parseSourceMap(raw.sourceMap as Record<string, unknown> | undefined),
    kernelPath,
    kernelBytes,
    cmdline,
    memoryMB,
    mips,
    stopOnEntry: (raw.stopOnEntry as boolean | undefined) ?? false,
    jit: (raw.jit as boolean | undefined) ?? true,
    // a replay's inputs carry their own virtual times: unpaced unless asked
    pace: (raw.pace as boolean | undefined) ?? raw.replay === undefined,
    replay: raw.replay as string | undefined,
    nic: nicOn ? (mac ? { mac } : {}) : false,
    udpBridge,
    guestIp,
    echoLoad,
    record,
    trace: (raw.trace as boolean | undefined) ?? false,
  };
}
