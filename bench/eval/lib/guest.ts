// What the LVMM runs and QEMU runs alike in the eval's I/O sections: the same kernel, the same
// command line (the guest's echo service on UDP port 7 at 10.0.2.15), the same echo frames
// (src/vmm/recording/echo-load.ts).
import { join } from "node:path";

export const GUEST_CMDLINE = "ip=10.0.2.15 gw=10.0.2.2";

export function kernelPath(root: string): string {
  return join(root, "guest", "build", "ioengine.elf");
}
