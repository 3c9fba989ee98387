// Machine-readable output (--json): one JSON document on stdout, byte arrays in base64.
import { writeOut } from "./recording-file";

export function writeJson(value: unknown): Promise<void> {
  return writeOut(JSON.stringify(value, (_, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v), 2) + "\n");
}
