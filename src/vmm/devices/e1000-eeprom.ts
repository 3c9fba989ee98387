// The 82540EM's 64-word EEPROM image as the EERD register exposes it (SDM 5.6).
import {
  EEPROM_CHECKSUM_WORD,
  EEPROM_DEVICE_ID,
  EEPROM_INIT_CONTROL1,
  EEPROM_INIT_CONTROL2,
  EEPROM_MAC_WORD0,
  EEPROM_SUBSYSTEM_ID,
  EEPROM_SUBSYSTEM_VENDOR,
  EEPROM_SUM,
  EEPROM_VENDOR_ID,
  EEPROM_WORDS,
  PCI_DEVICE_82540EM,
  PCI_VENDOR_INTEL,
} from "./e1000-regs.js";

/** Builds the image: MAC in words 0-2, PCI identity, and a checksum word so words 0x00-0x3F sum to 0xBABA. */
export function buildEeprom(mac: Uint8Array): Uint16Array {
  const w = new Uint16Array(EEPROM_WORDS);
  for (let i = 0; i < 3; i++) w[EEPROM_MAC_WORD0 + i] = mac[2 * i]! | (mac[2 * i + 1]! << 8);
  // Values a real 82540EM board ships with; drivers rarely look at them.
  w[EEPROM_INIT_CONTROL1] = 0x640a;
  w[EEPROM_SUBSYSTEM_ID] = PCI_DEVICE_82540EM;
  w[EEPROM_SUBSYSTEM_VENDOR] = PCI_VENDOR_INTEL;
  w[EEPROM_DEVICE_ID] = PCI_DEVICE_82540EM;
  w[EEPROM_VENDOR_ID] = PCI_VENDOR_INTEL;
  w[EEPROM_INIT_CONTROL2] = 0x3040;
  let sum = 0;
  for (let i = 0; i < EEPROM_CHECKSUM_WORD; i++) sum += w[i]!;
  w[EEPROM_CHECKSUM_WORD] = (EEPROM_SUM - sum) & 0xffff;
  return w;
}

/** Word at `index`, or 0 past the end (the part has 64 words). */
export function eepromWord(image: Uint16Array, index: number): number {
  return index < image.length ? image[index]! : 0;
}
