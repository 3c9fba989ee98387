// Reads the MPEG-TS packet fields that pacing and seeking need (ISO/IEC 13818-1 §2.4.3.2-5):
// sync byte, PID, adaptation field, PCR and random_access_indicator.

export const TS_PACKET_SIZE = 188; // ISO/IEC 13818-1 §2.4.3.2
export const TS_SYNC_BYTE = 0x47;
/** PCR ticks per second: 27 MHz system clock (§2.4.2.1) */
export const SYSTEM_CLOCK_HZ = 27_000_000;
/** program_clock_reference_base is 33 bits (§2.4.3.5) */
export const PCR_WRAP = 2 ** 33 * 300;

export interface TsPacketInfo {
  pid: number;
  /** PCR in 27 MHz ticks, when this packet carries one */
  pcr?: number;
  randomAccess: boolean;
  discontinuity: boolean;
}

/** Reads one 188-byte packet at `off`; undefined when the sync byte is missing. */
export function readTsPacket(buf: Buffer, off: number): TsPacketInfo | undefined {
  if (buf[off] !== TS_SYNC_BYTE) return undefined;
  const pid = ((buf[off + 1]! & 0x1f) << 8) | buf[off + 2]!;
  const afc = (buf[off + 3]! >> 4) & 0x3; // adaptation_field_control
  const info: TsPacketInfo = { pid, randomAccess: false, discontinuity: false };
  if (afc !== 2 && afc !== 3) return info;
  const afLen = buf[off + 4]!;
  if (afLen === 0) return info;
  const flags = buf[off + 5]!;
  info.discontinuity = (flags & 0x80) !== 0; // discontinuity_indicator
  info.randomAccess = (flags & 0x40) !== 0; // random_access_indicator
  if ((flags & 0x10) !== 0 && afLen >= 7) {
    // PCR_flag: 33-bit base (90 kHz), 6 reserved bits, 9-bit extension (27 MHz)
    const p = off + 6;
    const base = buf[p]! * 2 ** 25 + buf[p + 1]! * 2 ** 17 + buf[p + 2]! * 2 ** 9 + buf[p + 3]! * 2 + (buf[p + 4]! >> 7);
    const ext = ((buf[p + 4]! & 0x1) << 8) | buf[p + 5]!;
    info.pcr = base * 300 + ext;
  }
  return info;
}
