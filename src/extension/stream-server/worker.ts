// Entry of dist/stream-server.js: the stream-server process the panel forks. It takes commands
// over the IPC channel, reports sessions and samples back, and exits when its parent goes away
// (the IPC channel closes), stopping the server first.
import { isToServer, type FromServer, type ToServer } from "../../protocols/stream-server-protocol";
import { ServerRuntime } from "./runtime";

const send = (m: FromServer) => {
  if (process.connected) process.send?.(m);
};
const runtime = new ServerRuntime(send);

async function handle(m: ToServer): Promise<void> {
  try {
    if (m.type === "start") send({ type: "reply", id: m.id, ok: true, info: await runtime.start(m.options) });
    else {
      await runtime.stop();
      send({ type: "reply", id: m.id, ok: true });
    }
  } catch (err) {
    send({ type: "reply", id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}

let exiting = false;
async function exit(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  const force = setTimeout(() => process.exit(code), 5000);
  force.unref();
  await runtime.stop().catch(() => undefined);
  process.exit(code);
}

if (!process.send) {
  console.error("stream-server: start me with child_process.fork (I take commands over IPC)");
  process.exit(2);
}
process.on("message", (m: unknown) => {
  if (isToServer(m)) void handle(m);
  else send({ type: "log", line: `ignored a malformed command: ${JSON.stringify(m).slice(0, 120)}` });
});
process.on("disconnect", () => void exit(0));
process.on("SIGTERM", () => void exit(0));
// A failing socket or timer callback must not leave clients hanging without a word.
process.on("uncaughtException", (err) => {
  send({ type: "log", line: `stream server crashed: ${err.stack ?? err.message}` });
  void exit(1);
});
