// x86-32 instruction decoding with iced-x86: the text the Disassembly view shows, and the
// control-flow facts stepping needs (is this a call, where does the next instruction start).
import { Decoder, DecoderOptions, FlowControl, Formatter, FormatterSyntax, Instruction, Mnemonic } from "iced-x86";

export type Flow = "next" | "call" | "branch" | "conditional-branch" | "return" | "interrupt" | "iret" | "other";

export interface DecodedInstruction {
  address: number;
  length: number;
  bytes: Uint8Array;
  /** AT&T syntax, as gcc and objdump print it for this kernel. */
  text: string;
  flow: Flow;
  invalid: boolean;
}

const MAX_INSTRUCTION = 15;

let formatter: Formatter | undefined;
function fmt(): Formatter {
  if (!formatter) {
    formatter = new Formatter(FormatterSyntax.Gas);
    formatter.hexPrefix = "0x";
    formatter.hexSuffix = "";
    formatter.uppercaseHex = false;
    formatter.spaceAfterOperandSeparator = true;
  }
  return formatter;
}

function flowOf(i: Instruction): Flow {
  if (i.mnemonic === Mnemonic.Iret || i.mnemonic === Mnemonic.Iretd) return "iret";
  switch (i.flowControl) {
    case FlowControl.Next:
      return "next";
    case FlowControl.Call:
    case FlowControl.IndirectCall:
      return "call";
    case FlowControl.UnconditionalBranch:
    case FlowControl.IndirectBranch:
      return "branch";
    case FlowControl.ConditionalBranch:
      return "conditional-branch";
    case FlowControl.Return:
      return "return";
    case FlowControl.Interrupt:
      return "interrupt";
    default:
      return "other";
  }
}

/** Decodes instructions from `bytes` (which start at `address`) until `count` or the bytes run out. */
export function decode(bytes: Uint8Array, address: number, count = Infinity): DecodedInstruction[] {
  const out: DecodedInstruction[] = [];
  const decoder = new Decoder(32, bytes, DecoderOptions.None);
  decoder.ip = BigInt(address >>> 0);
  const instr = new Instruction();
  try {
    while (decoder.canDecode && out.length < count) {
      const offset = decoder.position;
      decoder.decodeOut(instr);
      const length = instr.length;
      // An instruction cut off by the end of the buffer is not decoded: the caller reads more.
      if (instr.isInvalid && bytes.length - offset < MAX_INSTRUCTION) break;
      out.push({
        address: (address + offset) >>> 0,
        length,
        bytes: bytes.slice(offset, offset + length),
        text: instr.isInvalid ? "(bad)" : fmt().format(instr),
        flow: instr.isInvalid ? "other" : flowOf(instr),
        invalid: instr.isInvalid,
      });
    }
  } finally {
    instr.free();
    decoder.free();
  }
  return out;
}

/** The instruction at `address`, reading through `read`; undefined when memory is unreadable. */
export function decodeOne(read: (address: number, length: number) => Uint8Array | undefined, address: number): DecodedInstruction | undefined {
  for (let len = MAX_INSTRUCTION; len > 0; len--) {
    const bytes = read(address, len);
    if (bytes) return decode(bytes, address, 1)[0];
  }
  return undefined;
}
