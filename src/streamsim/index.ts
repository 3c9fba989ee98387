// Public entry points of the stream server's general-purpose side.
export { startServer, type StreamServerHandle, type StreamServerOptions } from "./server/stream-server";
export type { DeliveryBackend, DeliveryEvent, DeliveryStart, DeliveryStats, DeliveryTarget, PlayPosition } from "./delivery/backend";
export { ConventionalDelivery, type ConventionalDeliveryOptions } from "./delivery/conventional";
export { ingest, type IngestResult } from "./content/ingest";
export { makeSampleClip, type SampleClip } from "./content/sample-clip";
export { ContentCatalog, type ContentItem } from "./content/catalog";
export { StreamServerApp, NoContentError, type StreamServerConfig, type StreamServerArch } from "./app";
export { STREAM_SERVER_DEFAULTS } from "./defaults";
