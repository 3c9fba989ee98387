// ELF32 little-endian i386 reader: header, program headers, named sections, .symtab, and the
// multiboot v1 header. The VMM validates kernels with it and the debug adapter reads DWARF
// sections through it. References: System V ABI "ELF" chapter (gABI, 4.1), i386 psABI,
// Multiboot Specification 0.6.96 section 3.1 ("OS image format").

export type ElfErrorCode =
  | "not-elf" // no \x7fELF magic
  | "truncated" // file ends inside a header or table
  | "elf64" // ELFCLASS64: we only run 32-bit kernels
  | "big-endian" // ELFDATA2MSB
  | "bad-version" // EI_VERSION / e_version is not EV_CURRENT
  | "wrong-machine" // e_machine is not EM_386
  | "bad-header" // inconsistent entry sizes / counts
  | "bad-offset" // a table or section lies past the end of the file
  | "no-load-segment" // kernel has no PT_LOAD program header
  | "no-multiboot" // no valid multiboot v1 header in the first 8 KiB
  | "bad-multiboot"; // multiboot magic found but checksum or layout is wrong

export class ElfError extends Error {
  override readonly name = "ElfError";
  constructor(
    readonly code: ElfErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** gABI e_ident indexes and values. */
const EI_CLASS = 4;
const EI_DATA = 5;
const EI_VERSION = 6;
const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ELFDATA2MSB = 2;
const EV_CURRENT = 1;
const EM_386 = 3;
const ELF32_EHDR_SIZE = 52;
const ELF32_PHDR_SIZE = 32;
const ELF32_SHDR_SIZE = 40;
const ELF32_SYM_SIZE = 16;
const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const SHN_ABS = 0xfff1;
const SHN_COMMON = 0xfff2;
const SHN_XINDEX = 0xffff;

export const PT_LOAD = 1;
export const SHT_NOBITS = 8;
export const SHT_SYMTAB = 2;
export const ET_REL = 1;
export const ET_EXEC = 2;

/** Multiboot 0.6.96 section 3.1.1: header magic, search window, and flag bits. */
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_SEARCH = 8192;
const MULTIBOOT_AOUT_KLUDGE = 1 << 16;

export interface ElfHeader {
  type: number; // ET_REL, ET_EXEC, ...
  machine: number;
  entry: number;
  phoff: number;
  shoff: number;
  flags: number;
  phnum: number;
  shnum: number;
  shstrndx: number;
}

export interface ProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: number; // PF_X=1, PF_W=2, PF_R=4
  align: number;
}

export interface SectionHeader {
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

export type SymbolType = "notype" | "object" | "func" | "section" | "file" | "common" | "tls" | "other";
export type SymbolBinding = "local" | "global" | "weak" | "other";

export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  type: SymbolType;
  binding: SymbolBinding;
  /** Name of the defining section; undefined for undefined/absolute/common symbols. */
  section: string | undefined;
  sectionIndex: number;
}

export interface MultibootHeader {
  /** File offset of the magic. */
  offset: number;
  flags: number;
  checksum: number;
  /** Present when flag bit 16 (a.out kludge) is set. */
  addresses?: { headerAddr: number; loadAddr: number; loadEndAddr: number; bssEndAddr: number; entryAddr: number };
}

const SYMBOL_TYPES: SymbolType[] = ["notype", "object", "func", "section", "file", "common", "tls"];
const SYMBOL_BINDINGS: SymbolBinding[] = ["local", "global", "weak"];
const latin1 = new TextDecoder("latin1");

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

export class ElfFile {
  readonly header: ElfHeader;
  readonly programHeaders: readonly ProgramHeader[];
  readonly sections: readonly SectionHeader[];
  private symbolCache: ElfSymbol[] | undefined;

  private constructor(
    readonly bytes: Uint8Array,
    private readonly view: DataView,
  ) {
    this.header = this.readHeader();
    this.programHeaders = this.readProgramHeaders();
    this.sections = this.readSections();
  }

  /** Parses an ELF32 LSB i386 image. Throws ElfError for anything else. */
  static parse(bytes: Uint8Array): ElfFile {
    if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
      throw new ElfError("not-elf", "not an ELF file (missing \\x7fELF magic); pass the linked kernel, not a raw binary or ISO");
    }
    if (bytes.length < 16) throw new ElfError("truncated", `file is ${bytes.length} bytes, shorter than e_ident`);
    if (bytes[EI_CLASS] === ELFCLASS64) {
      throw new ElfError("elf64", "ELF64 file: the VMM runs 32-bit i386 kernels; build with gcc -m32 and ld -m elf_i386");
    }
    if (bytes[EI_CLASS] !== ELFCLASS32) throw new ElfError("bad-header", `unknown ELF class ${bytes[EI_CLASS]}`);
    if (bytes[EI_DATA] === ELFDATA2MSB) {
      throw new ElfError("big-endian", "big-endian ELF: only little-endian i386 images are supported");
    }
    if (bytes[EI_DATA] !== ELFDATA2LSB) throw new ElfError("bad-header", `unknown ELF data encoding ${bytes[EI_DATA]}`);
    if (bytes[EI_VERSION] !== EV_CURRENT) throw new ElfError("bad-version", `unsupported ELF version ${bytes[EI_VERSION]}`);
    if (bytes.length < ELF32_EHDR_SIZE) {
      throw new ElfError("truncated", `file is ${bytes.length} bytes, shorter than the 52-byte ELF32 header`);
    }
    return new ElfFile(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  private u16(off: number): number {
    return this.view.getUint16(off, true);
  }
  private u32(off: number): number {
    return this.view.getUint32(off, true);
  }

  private readHeader(): ElfHeader {
    const machine = this.u16(18);
    if (machine !== EM_386) {
      throw new ElfError("wrong-machine", `e_machine is ${machine}, expected EM_386 (3); build the kernel for i386`);
    }
    if (this.u32(20) !== EV_CURRENT) throw new ElfError("bad-version", `unsupported e_version ${this.u32(20)}`);
    const h: ElfHeader = {
      type: this.u16(16),
      machine,
      entry: this.u32(24),
      phoff: this.u32(28),
      shoff: this.u32(32),
      flags: this.u32(36),
      phnum: this.u16(44),
      shnum: this.u16(48),
      shstrndx: this.u16(50),
    };
    const phentsize = this.u16(42);
    const shentsize = this.u16(46);
    if (h.phnum > 0 && phentsize !== ELF32_PHDR_SIZE) {
      throw new ElfError("bad-header", `e_phentsize is ${phentsize}, expected ${ELF32_PHDR_SIZE}`);
    }
    if (h.shnum > 0 && shentsize !== ELF32_SHDR_SIZE) {
      throw new ElfError("bad-header", `e_shentsize is ${shentsize}, expected ${ELF32_SHDR_SIZE}`);
    }
    this.checkRange(h.phoff, h.phnum * ELF32_PHDR_SIZE, "program header table");
    this.checkRange(h.shoff, h.shnum * ELF32_SHDR_SIZE, "section header table");
    return h;
  }

  private checkRange(offset: number, size: number, what: string): void {
    if (size === 0) return;
    if (offset + size > this.bytes.length) {
      const code = offset >= this.bytes.length ? "bad-offset" : "truncated";
      throw new ElfError(code, `${what} at ${hex(offset)}..${hex(offset + size)} lies past the end of the ${this.bytes.length}-byte file; the file is truncated or corrupt`);
    }
  }

  private readProgramHeaders(): ProgramHeader[] {
    const out: ProgramHeader[] = [];
    for (let i = 0; i < this.header.phnum; i++) {
      const o = this.header.phoff + i * ELF32_PHDR_SIZE;
      const ph: ProgramHeader = {
        type: this.u32(o),
        offset: this.u32(o + 4),
        vaddr: this.u32(o + 8),
        paddr: this.u32(o + 12),
        filesz: this.u32(o + 16),
        memsz: this.u32(o + 20),
        flags: this.u32(o + 24),
        align: this.u32(o + 28),
      };
      if (ph.type === PT_LOAD) this.checkRange(ph.offset, ph.filesz, `PT_LOAD segment ${i}`);
      out.push(ph);
    }
    return out;
  }

  private readSections(): SectionHeader[] {
    const raw: Omit<SectionHeader, "name">[] = [];
    const nameOffsets: number[] = [];
    for (let i = 0; i < this.header.shnum; i++) {
      const o = this.header.shoff + i * ELF32_SHDR_SIZE;
      nameOffsets.push(this.u32(o));
      const sh = {
        index: i,
        type: this.u32(o + 4),
        flags: this.u32(o + 8),
        addr: this.u32(o + 12),
        offset: this.u32(o + 16),
        size: this.u32(o + 20),
        link: this.u32(o + 24),
        info: this.u32(o + 28),
        addralign: this.u32(o + 32),
        entsize: this.u32(o + 36),
      };
      if (sh.type !== SHT_NOBITS && i !== 0) this.checkRange(sh.offset, sh.size, `section ${i}`);
      raw.push(sh);
    }
    let strtab: SectionHeader | undefined;
    const shstrndx = this.header.shstrndx;
    if (raw.length > 0 && shstrndx !== 0) {
      if (shstrndx >= raw.length) {
        throw new ElfError("bad-header", `e_shstrndx ${shstrndx} is not a section (there are ${raw.length})`);
      }
      strtab = { ...raw[shstrndx]!, name: ".shstrtab" };
    }
    return raw.map((s, i) => ({ ...s, name: strtab ? this.stringAt(strtab, nameOffsets[i]!) : "" }));
  }

  private stringAt(table: SectionHeader, offset: number): string {
    if (offset >= table.size) {
      throw new ElfError("bad-offset", `string offset ${hex(offset)} is past the end of ${table.name} (size ${hex(table.size)})`);
    }
    const start = table.offset + offset;
    const end = table.offset + table.size;
    let i = start;
    while (i < end && this.bytes[i] !== 0) i++;
    return latin1.decode(this.bytes.subarray(start, i));
  }

  get entry(): number {
    return this.header.entry;
  }

  get loadSegments(): ProgramHeader[] {
    return this.programHeaders.filter((p) => p.type === PT_LOAD);
  }

  section(name: string): SectionHeader | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** File bytes of a section (a view, not a copy); undefined if absent or SHT_NOBITS. */
  sectionData(name: string): Uint8Array | undefined {
    const s = this.section(name);
    if (!s || s.type === SHT_NOBITS) return undefined;
    return this.bytes.subarray(s.offset, s.offset + s.size);
  }

  /** All .symtab entries except the null symbol. Empty if the file is stripped. */
  get symbols(): readonly ElfSymbol[] {
    if (!this.symbolCache) this.symbolCache = this.readSymbols();
    return this.symbolCache;
  }

  get functions(): ElfSymbol[] {
    return this.symbols.filter((s) => s.type === "func");
  }

  get objects(): ElfSymbol[] {
    return this.symbols.filter((s) => s.type === "object");
  }

  private readSymbols(): ElfSymbol[] {
    const symtab = this.sections.find((s) => s.type === SHT_SYMTAB);
    if (!symtab) return [];
    const strtab = this.sections[symtab.link];
    if (!strtab) throw new ElfError("bad-header", `.symtab links to section ${symtab.link}, which does not exist`);
    const out: ElfSymbol[] = [];
    const count = Math.floor(symtab.size / ELF32_SYM_SIZE);
    for (let i = 1; i < count; i++) {
      const o = symtab.offset + i * ELF32_SYM_SIZE;
      const info = this.bytes[o + 12]!;
      const shndx = this.u16(o + 14);
      let section: string | undefined;
      if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE) section = this.sections[shndx]?.name;
      else if (shndx === SHN_ABS || shndx === SHN_COMMON || shndx === SHN_XINDEX) section = undefined;
      out.push({
        name: this.stringAt(strtab, this.u32(o)),
        value: this.u32(o + 4),
        size: this.u32(o + 8),
        type: SYMBOL_TYPES[info & 0xf] ?? "other",
        binding: SYMBOL_BINDINGS[info >> 4] ?? "other",
        section,
        sectionIndex: shndx,
      });
    }
    return out;
  }

  symbolByName(name: string): ElfSymbol | undefined {
    return this.symbols.find((s) => s.name === name);
  }

  /** The function or object symbol whose [value, value+size) contains addr. */
  symbolAt(addr: number): ElfSymbol | undefined {
    let best: ElfSymbol | undefined;
    for (const s of this.symbols) {
      if ((s.type !== "func" && s.type !== "object") || s.section === undefined) continue;
      if (addr >= s.value && (addr < s.value + s.size || (s.size === 0 && addr === s.value))) {
        if (!best || s.size < best.size) best = s;
      }
    }
    return best;
  }
}

/**
 * Finds the multiboot v1 header: magic 0x1BADB002, 4-byte aligned, within the first 8 KiB of
 * the file, with magic + flags + checksum == 0 (mod 2^32). Throws ElfError if absent or invalid.
 */
export function findMultibootHeader(bytes: Uint8Array): MultibootHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const limit = Math.min(bytes.length, MULTIBOOT_SEARCH) - 12;
  let badChecksumAt: number | undefined;
  for (let off = 0; off <= limit; off += 4) {
    if (view.getUint32(off, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = view.getUint32(off + 4, true);
    const checksum = view.getUint32(off + 8, true);
    if ((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0 !== 0) {
      badChecksumAt ??= off;
      continue;
    }
    const header: MultibootHeader = { offset: off, flags, checksum };
    if (flags & MULTIBOOT_AOUT_KLUDGE) {
      if (off + 32 > bytes.length) {
        throw new ElfError("bad-multiboot", `multiboot header at ${hex(off)} sets the address flag (bit 16) but the file ends before its address fields`);
      }
      header.addresses = {
        headerAddr: view.getUint32(off + 12, true),
        loadAddr: view.getUint32(off + 16, true),
        loadEndAddr: view.getUint32(off + 20, true),
        bssEndAddr: view.getUint32(off + 24, true),
        entryAddr: view.getUint32(off + 28, true),
      };
    }
    return header;
  }
  if (badChecksumAt !== undefined) {
    throw new ElfError("bad-multiboot", `multiboot magic at file offset ${hex(badChecksumAt)} has a bad checksum (magic + flags + checksum must be 0 mod 2^32)`);
  }
  throw new ElfError("no-multiboot", "no multiboot v1 header (magic 0x1BADB002, 4-byte aligned) in the first 8 KiB; put the header in a section the linker script places first");
}

export interface Kernel {
  elf: ElfFile;
  multiboot: MultibootHeader;
  entry: number;
  segments: ProgramHeader[];
}

/** Everything the VMM needs before loading a kernel: a valid i386 ELF, PT_LOADs, multiboot. */
export function validateKernel(bytes: Uint8Array): Kernel {
  const elf = ElfFile.parse(bytes);
  const segments = elf.loadSegments;
  if (segments.length === 0) {
    throw new ElfError(
      "no-load-segment",
      elf.header.type === ET_REL
        ? "this is a relocatable object (.o), not a linked kernel; link it with ld -m elf_i386 -T <script>"
        : "the ELF has no PT_LOAD program headers, so there is nothing to load",
    );
  }
  const multiboot = findMultibootHeader(bytes);
  const entry = multiboot.addresses?.entryAddr ?? elf.entry;
  return { elf, multiboot, entry, segments };
}
