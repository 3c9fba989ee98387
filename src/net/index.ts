// Packet codec shared by the VMM wire tests, the DMA inspector and the stream server:
// Ethernet II, ARP, IPv4, UDP and the Internet checksum. No dependencies.
// Conventions: addresses are text ("52:54:00:12:34:56", "10.0.2.15"); build* functions return
// fresh bytes and throw PacketError for arguments they cannot encode; parse* functions return
// a value or a PacketError and never throw; parsed payloads are views into the input.
export * from "./addresses";
export * from "./arp";
export * from "./checksum";
export * from "./errors";
export * from "./ethernet";
export * from "./frame";
export * from "./ipv4";
export * from "./udp";
