// The LVMM debug adapter: translates the Debug Adapter Protocol into calls on a Target (one
// guest machine with its debug info) and the Target's stops into DAP events. One protected
// method per request; the work itself lives in target.ts and the modules it uses.
import { basename } from "node:path";
import { Event, InitializedEvent, InvalidatedEvent, Logger, logger, LoggingDebugSession, MemoryEvent, OutputEvent, Source, StoppedEvent, TerminatedEvent } from "@vscode/debugadapter";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { LaunchArgumentError, parseLaunchArguments, type LaunchPlan, type LvmmLaunchOptions } from "./launch-arguments";
import { EXCEPTION_FILTERS, Target } from "./target";
import { CAPABILITIES } from "./capabilities";
import { exceptionSummary, type TargetStop } from "./stop-description";
import type { BreakpointResult } from "./breakpoint-table";
import { setFunctionBreakpoints, setInstructionBreakpoints, setSourceBreakpoints } from "./breakpoint-requests";
import { nicRegisterWatchable, setDataBreakpoints, watchable } from "./data-breakpoints";
import type { StepGranularity } from "./stepping";
import { VariableReferences } from "./variable-references";
import { dumpAddress, formatDump, parseDump } from "./expression/memory-dump";
import { annotatedWindow } from "./views/disassembly";
import { hex32 } from "./views/register-view";
import { ReverseControl } from "./reverse-control";
import { ServeStreams } from "./serve-streams";
import { pastRecording, prepareReplay, replayBanner, startReplay, type ReplayPlan } from "./replay-launch";
import { GdbBeside } from "./gdb-beside";
import { isTimeTravelRequest, MOVING_COMMANDS, timeTravelRequest } from "./time-travel-requests";
import { historyRequest } from "./memory-history-request";
import { TT_REQUEST } from "../protocols/time-travel-protocol";
import { SourcePathMap } from "./source-paths";
import { complete } from "./expression/completions";
import { ProgressReporter } from "./progress";
import { WorkCancelled } from "../vmm/long-work";
import { STATUS_EVENT } from "../protocols/adapter-contract";

const THREAD_ID = 1;
const CONFIGURATION_TIMEOUT_MS = 10_000;

type LaunchRequestArguments = DebugProtocol.LaunchRequestArguments & LvmmLaunchOptions;

/** Errors a user can cause become error responses with this id. */
const ERROR_ID = 3001;

/** The address a memory reference and byte offset name (the Memory and Disassembly views send them). */
const memoryAddress = (a: { memoryReference: string; offset?: number }) => (Number(a.memoryReference) + (a.offset ?? 0)) >>> 0;

export class LvmmDebugSession extends LoggingDebugSession {
  private target: Target | undefined;
  private vars: VariableReferences | undefined;
  private configurationDone!: () => void;
  private readonly configured = new Promise<void>((r) => (this.configurationDone = r));
  private exceptionVectors: number[] = [];
  private reverse: ReverseControl | undefined;
  /** the "serve" launch option: RTSP front + delivery on this guest */
  private serve: ServeStreams | undefined;
  /** the "replay" launch option: the recording being debugged (replay-launch.ts) */
  private replay: ReplayPlan | undefined;
  /** The "gdbPort" option's GDB stub on this session's machine. */
  private gdb: GdbBeside | undefined;
  private replayEndTold = false;
  /** the "sourceMap" option: build-time paths <-> local paths */
  private paths = new SourcePathMap();
  /** progress of long seeks, searches and reads, and their cancellation */
  private readonly progress = new ProgressReporter((e) => this.sendEvent(e));

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.progress.enabled = args.supportsProgressReporting === true;
    response.body = { ...CAPABILITIES };
    this.sendResponse(response);
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchRequestArguments, request?: DebugProtocol.Request): Promise<void> {
    let plan;
    try {
      plan = parseLaunchArguments(args as unknown as Record<string, unknown>);
      if (plan.replay) ({ plan, replay: this.replay } = await prepareReplay(plan, plan.replay, this.progress.begin(`Opening ${basename(plan.replay)}`, "bytes", request?.seq)));
    } catch (e) {
      return this.fail(response, e);
    }
    if (plan.trace) logger.setup(Logger.LogLevel.Verbose, false);
    this.paths = new SourcePathMap(plan.sourceMap);
    const toConsole = (text: string) => this.sendEvent(new OutputEvent(text, "console"));
    if (plan.serve) {
      try {
        ({ serve: this.serve, plan } = await ServeStreams.prepare(plan, toConsole));
      } catch (e) {
        return this.fail(response, e);
      }
    }
    try {
      this.target = await this.startGuest(plan, toConsole);
    } catch (e) {
      await this.stopServing();
      this.target?.dispose();
      this.target = undefined;
      return this.fail(response, e);
    }
    this.vars = new VariableReferences(this.target);
    this.reverse = new ReverseControl(this.target, (title) => this.progress.begin(title, "instructions"));
    if (plan.gdbPort !== undefined) {
      try {
        this.gdb = await GdbBeside.start(this.target, plan.gdbPort, plan.kernelPath, toConsole);
      } catch (e) {
        await this.shutDown();
        return this.fail(response, e);
      }
    }
    for (const r of plan.udpBridge) toConsole(`lvmm: UDP 127.0.0.1:${r.hostPort} -> guest ${plan.guestIp}:${r.guestPort}\n`);
    if (plan.echoLoad !== undefined) toConsole(`lvmm: UDP echo load: ${plan.echoLoad} requests per virtual second to guest ${plan.guestIp}:7 on the NIC's wire\n`);
    if (plan.record) toConsole("lvmm: record options accepted; recording is not active in this version\n");
    this.sendEvent(new InitializedEvent());
    await this.configurationOrTimeout();
    this.target.setExceptionVectors(this.exceptionVectors);
    this.sendResponse(response);
    if (plan.stopOnEntry) this.target.stopOnEntry();
    else this.target.continue();
  }

  /** Boots the guest, then starts what runs beside it (the stream server, the recording's inputs). */
  private async startGuest(plan: LaunchPlan, toConsole: (text: string) => void): Promise<Target> {
    this.target = await Target.launch(plan, {
      stopped: (s) => this.stopped(s),
      output: (text, category) => this.sendEvent(new OutputEvent(text, category)),
      status: (state) => this.sendStatus(state),
    });
    if (this.serve) await this.serve.start(this.target.machine, plan.mips, toConsole);
    if (this.replay) {
      startReplay(this.target.machine, this.replay);
      toConsole(replayBanner(this.replay));
    }
    return this.target;
  }

  /** Launch waits for the client's breakpoints (configurationDone), but not forever. */
  private async configurationOrTimeout(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.configured, new Promise((r) => (timer = setTimeout(r, CONFIGURATION_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }

  protected override cancelRequest(response: DebugProtocol.CancelResponse, args: DebugProtocol.CancelArguments): void {
    this.progress.cancel(args);
    this.sendResponse(response);
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configurationDone();
    this.sendResponse(response);
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse): Promise<void> {
    await this.shutDown();
    this.sendResponse(response);
  }

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    await this.shutDown();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  /** Stops serving streams, then lets go of the time-travel control and the machine. */
  private async shutDown(): Promise<void> {
    await this.stopServing();
    const gdb = this.gdb;
    this.gdb = undefined;
    await gdb?.close().catch(() => undefined);
    this.reverse?.dispose();
    this.target?.dispose();
    this.target = undefined;
  }

  /** Closes the stream server of the "serve" option (bounded: a stuck close does not hold up the session's end). */
  private async stopServing(): Promise<void> {
    const serve = this.serve;
    this.serve = undefined;
    if (!serve) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([serve.close().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
  }

  override dispose(): void {
    void this.stopServing();
    super.dispose();
  }

  private sendStatus(state: string): void {
    const m = this.target?.machine;
    if (!m) return;
    if (this.replay && !this.replayEndTold && pastRecording(m, this.replay)) {
      this.replayEndTold = true;
      this.sendEvent(new OutputEvent(`lvmm: end of recording (instruction count ${this.replay.end.icount}): the session is live from here\n`, "console"));
    }
    const icount = m.icount;
    const ns = m.nowNs;
    this.sendEvent(new Event(STATUS_EVENT, { state, icount: icount <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(icount) : icount.toString(), virtualSeconds: ns / 1e9, virtualNs: ns }));
  }

  /** Sends an error response naming what was wrong; never lets an exception escape. */
  private fail(response: DebugProtocol.Response, e: unknown): void {
    // The protocol's word for a request ended by a cancel request.
    if (e instanceof WorkCancelled) return this.sendErrorResponse(response, { id: ERROR_ID, format: "cancelled", showUser: false });
    const message = e instanceof LaunchArgumentError || e instanceof Error ? e.message : String(e);
    this.sendErrorResponse(response, { id: ERROR_ID, format: message.replace(/[{}]/g, (c) => (c === "{" ? "(" : ")")), showUser: true });
  }

  /** The target, or an error response when there is no running session. */
  private need(response: DebugProtocol.Response): Target | undefined {
    if (!this.target) {
      this.sendErrorResponse(response, { id: ERROR_ID, format: "the guest is not running (launch first)", showUser: false });
      return undefined;
    }
    return this.target;
  }

  private whileStopped(response: DebugProtocol.Response): Target | undefined {
    const t = this.need(response);
    if (t && t.isRunning) {
      this.sendErrorResponse(response, { id: ERROR_ID, format: "the guest is running; pause it first", showUser: false });
      return undefined;
    }
    return t;
  }

  protected override dispatchRequest(request: DebugProtocol.Request): void {
    if (MOVING_COMMANDS.has(request.command) && this.target && !this.target.isRunning) this.reverse?.history.mark("control");
    try {
      super.dispatchRequest(request);
    } catch (e) {
      const response = { seq: 0, type: "response", request_seq: request.seq, command: request.command, success: false } as DebugProtocol.Response;
      this.fail(response, e);
    }
  }

  // ---- breakpoints --------------------------------------------------------------------------

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const t = this.need(response);
    if (!t) return;
    const path = args.source.path ? this.paths.toBuild(this.convertClientPathToDebugger(args.source.path)) : (args.source.name ?? "");
    const requests = (args.breakpoints ?? []).map((b) => ({ ...b, line: this.convertClientLineToDebugger(b.line) }));
    this.sendBreakpoints(response, setSourceBreakpoints(t, path, requests));
  }

  /** Answers a set-breakpoints request with what became of each breakpoint. */
  private sendBreakpoints(response: DebugProtocol.Response, results: BreakpointResult[]): void {
    response.body = {
      breakpoints: results.map((r): DebugProtocol.Breakpoint => ({
        id: r.id,
        verified: r.verified,
        ...(r.message !== undefined ? { message: r.message } : {}),
        ...(r.line !== undefined ? { line: this.convertDebuggerLineToClient(r.line) } : {}),
        ...(r.file !== undefined ? { source: this.source(r.file) } : {}),
        ...(r.address !== undefined ? { instructionReference: hex32(r.address) } : {}),
      })),
    };
    this.sendResponse(response);
  }

  protected override breakpointLocationsRequest(response: DebugProtocol.BreakpointLocationsResponse, args: DebugProtocol.BreakpointLocationsArguments): void {
    const t = this.need(response);
    if (!t) return;
    const path = args.source.path ? this.paths.toBuild(this.convertClientPathToDebugger(args.source.path)) : "";
    const locs = t.debugInfo.breakpointLocations(path, this.convertClientLineToDebugger(args.line), this.convertClientLineToDebugger(args.endLine ?? args.line));
    response.body = { breakpoints: locs.map((l) => ({ line: this.convertDebuggerLineToClient(l.line), ...(l.column ? { column: this.convertDebuggerColumnToClient(l.column) } : {}) })) };
    this.sendResponse(response);
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    const t = this.need(response);
    if (!t) return;
    this.sendBreakpoints(
      response,
      setFunctionBreakpoints(
        t,
        args.breakpoints.map(({ name, condition, hitCondition }) => ({ name, condition, hitCondition })),
      ),
    );
  }

  protected override setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    const t = this.need(response);
    if (!t) return;
    this.sendBreakpoints(
      response,
      setInstructionBreakpoints(
        t,
        args.breakpoints.map(({ instructionReference, offset, condition, hitCondition }) => ({ instructionReference, offset, condition, hitCondition })),
      ),
    );
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    const ids = new Set([...(args.filters ?? []), ...(args.filterOptions ?? []).map((f) => f.filterId)]);
    this.exceptionVectors = EXCEPTION_FILTERS.filter((f) => ids.has(f.id)).map((f) => f.vector);
    this.target?.setExceptionVectors(this.exceptionVectors);
    response.body = { breakpoints: [...ids].map((id) => ({ verified: EXCEPTION_FILTERS.some((f) => f.id === id) })) };
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const t = this.need(response);
    if (!t) return;
    const x = t.stopInfo?.exception;
    if (!x) return this.fail(response, new Error("the guest did not stop on an exception"));
    response.body = {
      exceptionId: x.id,
      description: x.description,
      breakMode: x.breakMode,
      details: { message: exceptionSummary(x, (a) => t.names.symbolize(a)), typeName: x.id, ...(x.faultingEip !== undefined ? { stackTrace: `at ${hex32(x.faultingEip)}` } : {}) },
    };
    this.sendResponse(response);
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    const t = this.whileStopped(response);
    if (!t) return;
    const nic = args.variablesReference !== undefined ? this.vars!.nicRegisterIn(args.variablesReference, args.name) : undefined;
    if (nic) {
      response.body = { ...nicRegisterWatchable(nic), accessTypes: ["write"], canPersist: false };
      this.sendResponse(response);
      return;
    }
    const w = watchable(args.name, args.asAddress === true, args.bytes, () =>
      args.variablesReference !== undefined ? this.vars!.valueIn(args.variablesReference, args.name)?.value : t.scope(args.frameId).evaluate(args.name),
    );
    response.body = w.dataId === null ? w : { ...w, accessTypes: ["write", "read", "readWrite"], canPersist: false };
    this.sendResponse(response);
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    const t = this.need(response);
    if (!t) return;
    this.sendBreakpoints(response, setDataBreakpoints(t, args.breakpoints));
  }

  // ---- execution ----------------------------------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [{ id: THREAD_ID, name: "CPU 0" }] };
    this.sendResponse(response);
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    const t = this.need(response);
    if (!t) return;
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
    t.continue();
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.target?.pause();
    this.sendResponse(response);
  }

  private step(response: DebugProtocol.Response, granularity: DebugProtocol.SteppingGranularity | undefined, go: (t: Target, g: StepGranularity) => void): void {
    const t = this.whileStopped(response);
    if (!t) return;
    this.sendResponse(response);
    go(t, granularity ?? "line");
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.step(response, args.granularity, (t, g) => t.stepOver(g));
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.step(response, args.granularity, (t, g) => t.stepIn(g));
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.step(response, args.granularity, (t, g) => t.stepOut(g));
  }

  // ---- time travel (reverse-control.ts) -----------------------------------------------------

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.travel(response, (r) => r.back(args.granularity === "instruction" ? "instruction" : "into"));
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.travel(response, (r) => r.reverseContinue());
  }

  private travel(response: DebugProtocol.Response, go: (r: ReverseControl) => void): void {
    const t = this.whileStopped(response);
    if (!t || !this.reverse) return;
    try {
      go(this.reverse);
    } catch (e) {
      return this.fail(response, e);
    }
    this.sendResponse(response);
  }

  private stopped(s: TargetStop): void {
    this.vars?.reset();
    const ev = new StoppedEvent(s.reason, THREAD_ID) as DebugProtocol.StoppedEvent;
    ev.body.description = s.description;
    if (s.text) ev.body.text = s.text;
    if (s.hitBreakpointIds) ev.body.hitBreakpointIds = s.hitBreakpointIds;
    ev.body.allThreadsStopped = true;
    this.sendEvent(ev);
    this.serve?.guestStopped(s.vm);
    this.afterStop(s.reason);
  }

  /** Marks stops on the timeline; after a move through time, every view refreshes. */
  private afterStop(reason: string): void {
    const r = this.reverse;
    if (!r) return;
    if (reason.endsWith("breakpoint")) r.history.mark("breakpoint");
    else if (reason === "exception") r.history.mark("exception");
    if (r.takeMoved()) {
      this.sendEvent(new InvalidatedEvent(["all"]));
      this.sendEvent(new MemoryEvent("0x0", 0, this.target?.machine.cpu.ramBytes ?? 0));
    }
  }

  // ---- state --------------------------------------------------------------------------------

  /** A file the debug info names, as the client sees it (after the sourceMap). */
  private source(file: string): Source {
    const local = this.paths.toLocal(file);
    return new Source(basename(local), this.convertDebuggerPathToClient(local));
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const t = this.whileStopped(response);
    if (!t) return;
    const frames = t.callStack();
    const start = args.startFrame ?? 0;
    const end = args.levels ? start + args.levels : frames.length;
    response.body = {
      totalFrames: frames.length,
      stackFrames: frames.slice(start, end).map((f) => ({
        id: f.index,
        name: f.inlined ? `${f.name} [inlined]` : f.name,
        line: f.line !== undefined && f.file ? this.convertDebuggerLineToClient(f.line) : 0,
        column: f.column ? this.convertDebuggerColumnToClient(f.column) : 0,
        instructionPointerReference: hex32(f.pc),
        ...(f.file && f.line ? { source: this.source(f.file) } : { presentationHint: "subtle" as const }),
      })),
    };
    this.sendResponse(response);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const t = this.whileStopped(response);
    if (!t) return;
    response.body = { scopes: this.vars!.scopes(args.frameId) };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    if (!this.whileStopped(response)) return;
    response.body = { variables: this.vars!.variables(args.variablesReference, args.start, args.count, args.format?.hex ?? false) };
    this.sendResponse(response);
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    if (!this.whileStopped(response)) return;
    try {
      const v = this.vars!.setVariable(args.variablesReference, args.name, args.value, args.format?.hex ?? false);
      response.body = { value: v.value, type: v.type, variablesReference: v.variablesReference, memoryReference: v.memoryReference };
      this.sendResponse(response);
      this.sendEvent(new InvalidatedEvent(["variables", "stacks"]));
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override setExpressionRequest(response: DebugProtocol.SetExpressionResponse, args: DebugProtocol.SetExpressionArguments): void {
    if (!this.whileStopped(response)) return;
    try {
      const v = this.vars!.setExpression(args.expression, args.value, args.frameId ?? 0, args.format?.hex ?? false);
      response.body = { value: v.value, type: v.type, variablesReference: v.variablesReference, indexedVariables: v.indexedVariables, memoryReference: v.memoryReference };
      this.sendResponse(response);
      this.sendEvent(new InvalidatedEvent(["variables", "stacks"]));
    } catch (e) {
      this.fail(response, e);
    }
  }

  protected override completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
    const t = this.need(response);
    if (!t) return;
    // Nothing to offer while the guest runs (frames and values change under the list).
    const text = args.line !== undefined ? (args.text.split("\n")[this.convertClientLineToDebugger(args.line) - 1] ?? "") : args.text;
    const c = t.isRunning ? { items: [], start: 0, length: 0 } : complete(text, this.convertClientColumnToDebugger(args.column) - 1, t.scope(args.frameId));
    const start = this.convertDebuggerColumnToClient(c.start + 1);
    response.body = { targets: c.items.map((i) => ({ label: i.label, type: i.type, ...(i.detail ? { detail: i.detail } : {}), start, length: c.length })) };
    this.sendResponse(response);
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    const t = this.whileStopped(response);
    if (!t) return;
    try {
      const scope = t.scope(args.frameId);
      const dump = parseDump(args.expression);
      if (dump) {
        const address = dumpAddress(scope.evaluate(dump.address), t.memory);
        response.body = { result: formatDump(address, dump, t.memory, (a) => t.names.symbolize(a)), variablesReference: 0, memoryReference: hex32(address) };
      } else {
        const v = scope.evaluate(args.expression);
        const dv = this.vars!.valueVariable(args.expression, v, args.frameId ?? 0, args.format?.hex ?? false, args.expression);
        response.body = { result: dv.value, type: dv.type, variablesReference: dv.variablesReference, indexedVariables: dv.indexedVariables, memoryReference: dv.memoryReference };
      }
      this.sendResponse(response);
    } catch (e) {
      this.fail(response, e);
    }
  }

  // ---- memory and code ----------------------------------------------------------------------

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    const t = this.whileStopped(response);
    if (!t) return;
    const address = memoryAddress(args);
    if (!Number.isFinite(Number(args.memoryReference))) return this.fail(response, new Error(`bad memory reference ${args.memoryReference}`));
    const { data, unreadableBytes } = t.memory.readRange(address, Math.max(0, Math.min(args.count, 1 << 20)));
    response.body = { address: hex32(address), data: Buffer.from(data).toString("base64"), unreadableBytes };
    this.sendResponse(response);
  }

  protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    const t = this.whileStopped(response);
    if (!t) return;
    const address = memoryAddress(args);
    const data = new Uint8Array(Buffer.from(args.data, "base64"));
    try {
      t.memory.write(address, data);
    } catch (e) {
      return this.fail(response, e);
    }
    response.body = { bytesWritten: data.length };
    this.sendResponse(response);
    this.sendEvent(new MemoryEvent(hex32(address), 0, data.length));
    this.sendEvent(new InvalidatedEvent(["variables"]));
  }

  protected override disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    const t = this.whileStopped(response);
    if (!t) return;
    const base = memoryAddress(args);
    const window = annotatedWindow(t.memory, t.names, t.debugInfo, base, args.instructionOffset ?? 0, args.instructionCount);
    response.body = {
      instructions: window.map((w): DebugProtocol.DisassembledInstruction => {
        const ins = w.instruction;
        if (!ins) return { address: hex32(w.address), instruction: "??", presentationHint: "invalid" };
        return {
          address: hex32(ins.address),
          instructionBytes: [...ins.bytes].map((b) => b.toString(16).padStart(2, "0")).join(" "),
          instruction: ins.text,
          ...(w.symbol ? { symbol: w.symbol } : {}),
          ...(w.line ? { location: this.source(w.line.file), line: this.convertDebuggerLineToClient(w.line.line) } : {}),
        };
      }),
    };
    this.sendResponse(response);
  }

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (command === "lvmm/status") {
      this.sendStatus(this.target?.isRunning ? "running" : "stopped");
      this.sendResponse(response);
      return;
    }
    if (command === TT_REQUEST.history) {
      const t = this.need(response);
      if (!t || !this.reverse) return;
      historyRequest(args, t, this.reverse, (file) => this.source(file) as { name: string; path: string }).then(
        (body) => {
          response.body = body;
          this.sendResponse(response);
        },
        (e: unknown) => this.fail(response, e),
      );
      return;
    }
    if (isTimeTravelRequest(command)) {
      const t = this.need(response);
      if (!t || !this.reverse) return;
      try {
        response.body = timeTravelRequest(command, args, t, this.reverse);
      } catch (e) {
        return this.fail(response, e);
      }
      this.sendResponse(response);
      return;
    }
    super.customRequest(command, response, args);
  }
}
