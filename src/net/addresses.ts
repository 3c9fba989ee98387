// MAC and IPv4 address text <-> bytes. The codec's public API speaks text
// ("52:54:00:12:34:56", "10.0.2.15"): readable in tests, logs and the DMA inspector.
import { PacketError } from "./errors";

export type MacAddress = string;
export type Ipv4Address = string;

export const BROADCAST_MAC: MacAddress = "ff:ff:ff:ff:ff:ff";
export const ZERO_MAC: MacAddress = "00:00:00:00:00:00";

const MAC_RE = /^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/;

/** "52:54:00:12:34:56" (or with '-') -> 6 bytes. Throws PacketError("invalid-argument"). */
export function macToBytes(mac: MacAddress): Uint8Array {
  if (!MAC_RE.test(mac)) {
    throw new PacketError("invalid-argument", "address", `${JSON.stringify(mac)} is not a MAC address like 52:54:00:12:34:56`);
  }
  return Uint8Array.from(mac.split(/[:-]/), (h) => parseInt(h, 16));
}

/** 6 bytes -> "52:54:00:12:34:56" (lower case). */
export function macToString(bytes: Uint8Array, offset = 0): MacAddress {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push((bytes[offset + i] ?? 0).toString(16).padStart(2, "0"));
  return parts.join(":");
}

/** "10.0.2.15" -> 4 bytes. Throws PacketError("invalid-argument"). */
export function ipv4ToBytes(ip: Ipv4Address): Uint8Array {
  const parts = ip.split(".");
  const ok = parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
  if (!ok) {
    throw new PacketError("invalid-argument", "address", `${JSON.stringify(ip)} is not a dotted-quad IPv4 address like 10.0.2.15`);
  }
  return Uint8Array.from(parts, Number);
}

/** 4 bytes -> "10.0.2.15". */
export function ipv4ToString(bytes: Uint8Array, offset = 0): Ipv4Address {
  return [0, 1, 2, 3].map((i) => bytes[offset + i] ?? 0).join(".");
}
