// Shared set-up for the I/O-engine tests: the real guest kernel on the LVMM as the delivery
// backend of a stream server on 127.0.0.1.
import { IoEngineDelivery, type IoEngineDeliveryOptions } from "../../src/streamsim/delivery/ioengine-delivery";
import { startServer, type StreamServerHandle } from "../../src/streamsim/server/stream-server";
import { kernel } from "../helpers/guest";

export async function openEngine(contentDir: string, opts: Partial<IoEngineDeliveryOptions> = {}): Promise<IoEngineDelivery> {
  return IoEngineDelivery.open({ kernel: kernel(), contentDir, log: () => {}, bootTimeoutMs: 20_000, ...opts });
}

export async function serveWithEngine(contentDir: string, opts: Partial<IoEngineDeliveryOptions> = {}): Promise<{ server: StreamServerHandle; engine: IoEngineDelivery }> {
  const engine = await openEngine(contentDir, opts);
  try {
    const server = await startServer({ port: 0, metrics: { port: 0 }, contentDir, backend: engine, log: () => {} });
    return { server, engine };
  } catch (err) {
    await engine.close();
    throw err;
  }
}
