// Intel 82540EM (e1000) register map, bits, interrupt causes and descriptor layouts.
// Source: Intel "PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's Manual"
// (8254x SDM, rev 4.0, 317453006), chapters 3 (descriptors), 5 (EEPROM) and 13 (registers).
// Section numbers below are that revision's; QEMU hw/net/e1000_regs.h uses the same names.

/** PCI identity of the 82540EM (SDM 4.1, PCI configuration; the device ID table lists 0x100E). */
export const PCI_VENDOR_INTEL = 0x8086;
export const PCI_DEVICE_82540EM = 0x100e;
export const PCI_CLASS_ETHERNET = 0x020000;
/** BAR0: 128 KiB memory-mapped register space (SDM 4.1, memory BAR; 13.1 register address map). */
export const BAR0_SIZE = 0x20000;

// --- General registers (SDM 13.4) ---------------------------------------------------------
export const CTRL = 0x0000; // 13.4.1 Device Control
export const STATUS = 0x0008; // 13.4.2 Device Status (read-only)
export const EECD = 0x0010; // 13.4.3 EEPROM/Flash Control & Data
export const EERD = 0x0014; // 13.4.4 EEPROM Read
export const MDIC = 0x0020; // 13.4.7 MDI Control
export const ICR = 0x00c0; // 13.4.17 Interrupt Cause Read (read clears, write 1 clears)
export const ITR = 0x00c4; // 13.4.18 Interrupt Throttling (256 ns units, bits 15:0)
export const ICS = 0x00c8; // 13.4.19 Interrupt Cause Set
export const IMS = 0x00d0; // 13.4.20 Interrupt Mask Set/Read
export const IMC = 0x00d8; // 13.4.21 Interrupt Mask Clear
export const RCTL = 0x0100; // 13.4.22 Receive Control
export const TCTL = 0x0400; // 13.4.33 Transmit Control
export const RDBAL = 0x2800; // 13.4.25 Receive Descriptor Base Low
export const RDBAH = 0x2804; // 13.4.26 Receive Descriptor Base High
export const RDLEN = 0x2808; // 13.4.27 Receive Descriptor Length (bytes, multiple of 128)
export const RDH = 0x2810; // 13.4.28 Receive Descriptor Head
export const RDT = 0x2818; // 13.4.29 Receive Descriptor Tail
export const RDTR = 0x2820; // 13.4.30 Receive Delay Timer (1.024 us units)
export const RADV = 0x282c; // 13.4.31 Receive Interrupt Absolute Delay (1.024 us units)
export const TDBAL = 0x3800; // 13.4.36 Transmit Descriptor Base Low
export const TDBAH = 0x3804; // 13.4.37 Transmit Descriptor Base High
export const TDLEN = 0x3808; // 13.4.38 Transmit Descriptor Length
export const TDH = 0x3810; // 13.4.39 Transmit Descriptor Head
export const TDT = 0x3818; // 13.4.40 Transmit Descriptor Tail
export const TIDV = 0x3820; // 13.4.41 Transmit Interrupt Delay Value
export const TADV = 0x382c; // 13.4.44 Transmit Absolute Interrupt Delay (1.024 us units)

// --- Filter registers (SDM 13.5) ----------------------------------------------------------
export const MTA = 0x5200; // 13.5.2 Multicast Table Array, 128 x 32 bit
export const MTA_COUNT = 128;
export const RAL0 = 0x5400; // 13.5.3 Receive Address Low (n at 0x5400 + 8n)
export const RAH0 = 0x5404; // 13.5.4 Receive Address High
export const RA_COUNT = 16;
export const RAH_AV = 0x80000000; // Address Valid
export const RAH_AS_MASK = 0x00030000; // Address Select (00 = destination address)

// --- Statistics registers (SDM 13.7): all clear on read --------------------------------------
export const STATS_FIRST = 0x4000;
export const STATS_LAST = 0x40fc;
export const MPC = 0x4010; // Missed Packets Count
export const PRC64 = 0x405c; // Packets Received (64 bytes) .. PRC1522 at 0x4070
export const GPRC = 0x4074; // Good Packets Received Count
export const BPRC = 0x4078; // Broadcast Packets Received Count
export const MPRC = 0x407c; // Multicast Packets Received Count
export const GPTC = 0x4080; // Good Packets Transmitted Count
export const GORCL = 0x4088; // Good Octets Received Count (64 bit; reading the high half clears)
export const GORCH = 0x408c;
export const GOTCL = 0x4090; // Good Octets Transmitted Count
export const GOTCH = 0x4094;
export const RNBC = 0x40a0; // Receive No Buffers Count
export const ROC = 0x40ac; // Receive Oversize Count
export const TORL = 0x40c0; // Total Octets Received
export const TORH = 0x40c4;
export const TOTL = 0x40c8; // Total Octets Transmitted
export const TOTH = 0x40cc;
export const TPR = 0x40d0; // Total Packets Received
export const TPT = 0x40d4; // Total Packets Transmitted
export const PTC64 = 0x40d8; // Packets Transmitted (64 bytes) .. PTC1522 at 0x40ec
export const MPTC = 0x40f0; // Multicast Packets Transmitted Count
export const BPTC = 0x40f4; // Broadcast Packets Transmitted Count
/** High halves of the 64-bit counters: reading one clears both halves. */
export const STATS_HIGH_HALVES: readonly number[] = [GORCH, GOTCH, TORH, TOTH];

// --- CTRL bits (13.4.1) --------------------------------------------------------------------
export const CTRL_FD = 0x00000001;
export const CTRL_ASDE = 0x00000020;
export const CTRL_SLU = 0x00000040;
export const CTRL_SPEED_1000 = 0x00000200;
export const CTRL_RST = 0x04000000;
export const CTRL_PHY_RST = 0x80000000;
/** Value after reset: full duplex, 1000 Mb/s, link up forced (as QEMU's model and an EEPROM that sets SLU). */
export const CTRL_RESET_VALUE = CTRL_FD | CTRL_SLU | CTRL_SPEED_1000;

// --- STATUS bits (13.4.2) ------------------------------------------------------------------
export const STATUS_FD = 0x00000001;
export const STATUS_LU = 0x00000002;
export const STATUS_SPEED_1000 = 0x00000080;

// --- EERD bits, 82540EM layout (13.4.4) ----------------------------------------------------
export const EERD_START = 0x00000001;
export const EERD_DONE = 0x00000010;
export const EERD_ADDR_SHIFT = 8;
export const EERD_ADDR_MASK = 0xff;
export const EERD_DATA_SHIFT = 16;

// --- EECD bits (13.4.3) --------------------------------------------------------------------
export const EECD_PRES = 0x00000100; // EEPROM present

// --- MDIC bits (13.4.7) and the PHY registers a driver polls (SDM 13.3, PHY registers) ------
export const MDIC_DATA_MASK = 0x0000ffff;
export const MDIC_REG_SHIFT = 16;
export const MDIC_PHY_SHIFT = 21;
export const MDIC_OP_WRITE = 0x04000000;
export const MDIC_OP_READ = 0x08000000;
export const MDIC_READY = 0x10000000;
export const MDIC_INT_EN = 0x20000000; // raise ICR.MDAC when the access completes
export const MDIC_ERROR = 0x40000000;
export const PHY_ADDRESS = 1;
export const PHY_CTRL = 0x00;
export const PHY_STATUS = 0x01;
export const PHY_ID1 = 0x02;
export const PHY_ID2 = 0x03;
export const PHY_STATUS_LINK = 0x0004; // link status
export const PHY_STATUS_ANEG_DONE = 0x0020; // auto-negotiation complete

// --- Interrupt causes: ICR/ICS/IMS/IMC share the layout (13.4.17) --------------------------
export const ICR_TXDW = 0x00000001; // Transmit Descriptor Written back
export const ICR_TXQE = 0x00000002; // Transmit Queue Empty
export const ICR_LSC = 0x00000004; // Link Status Change
export const ICR_RXSEQ = 0x00000008;
export const ICR_RXDMT0 = 0x00000010; // Receive Descriptor Minimum Threshold reached
export const ICR_RXO = 0x00000040; // Receiver Overrun
export const ICR_RXT0 = 0x00000080; // Receiver Timer Interrupt (packet received)
export const ICR_MDAC = 0x00000200; // MDI/O Access Complete
/** Causes the 82540EM defines (bits 16:0); writes to ICS/IMS outside this are ignored. */
export const ICR_VALID_MASK = 0x0001ffff;

// --- RCTL bits (13.4.22) -------------------------------------------------------------------
export const RCTL_EN = 0x00000002;
export const RCTL_SBP = 0x00000004;
export const RCTL_UPE = 0x00000008; // Unicast Promiscuous
export const RCTL_MPE = 0x00000010; // Multicast Promiscuous
export const RCTL_LPE = 0x00000020; // Long Packet Enable
export const RCTL_RDMTS_SHIFT = 8; // 00 = 1/2, 01 = 1/4, 10 = 1/8 of RDLEN
export const RCTL_RDMTS_MASK = 0x3;
export const RCTL_MO_SHIFT = 12; // Multicast Offset (MTA hash bit selection)
export const RCTL_MO_MASK = 0x3;
export const RCTL_BAM = 0x00008000; // Broadcast Accept Mode
export const RCTL_BSIZE_SHIFT = 16; // 00 = 2048, 01 = 1024, 10 = 512, 11 = 256 (x16 with BSEX)
export const RCTL_BSIZE_MASK = 0x3;
export const RCTL_BSEX = 0x02000000;
export const RCTL_SECRC = 0x04000000; // Strip Ethernet CRC

// --- TCTL bits (13.4.33) -------------------------------------------------------------------
export const TCTL_EN = 0x00000002;
export const TCTL_PSP = 0x00000008; // Pad Short Packets

// --- Register masks ------------------------------------------------------------------------
/** RDLEN/TDLEN: bits 19:7 (length in bytes, a multiple of 128); bits 6:0 read as 0. */
export const RING_LEN_MASK = 0x000fff80;
/** RDH/RDT/TDH/TDT: bits 15:0. */
export const RING_INDEX_MASK = 0x0000ffff;
/** Delay registers (ITR, RDTR, RADV, TIDV, TADV): bits 15:0. */
export const DELAY_MASK = 0x0000ffff;
export const ITR_UNIT_NS = 256;
export const DELAY_UNIT_NS = 1024;

// --- Descriptors ---------------------------------------------------------------------------
export const DESC_SIZE = 16;

/** Legacy receive descriptor (SDM 3.2.3): byte offsets. */
export const RXD_ADDR = 0; // u64 buffer address
export const RXD_LENGTH = 8; // u16
export const RXD_CSUM = 10; // u16 packet checksum
export const RXD_STATUS = 12; // u8
export const RXD_ERRORS = 13; // u8
export const RXD_SPECIAL = 14; // u16
export const RXD_STAT_DD = 0x01; // Descriptor Done
export const RXD_STAT_EOP = 0x02; // End Of Packet

/** Legacy transmit descriptor (SDM 3.3.3): byte offsets. */
export const TXD_ADDR = 0; // u64 buffer address
export const TXD_LENGTH = 8; // u16
export const TXD_CSO = 10; // u8 checksum offset
export const TXD_CMD = 11; // u8
export const TXD_STATUS = 12; // u8
export const TXD_CSS = 13; // u8 checksum start
export const TXD_SPECIAL = 14; // u16
export const TXD_CMD_EOP = 0x01; // End Of Packet
export const TXD_CMD_IFCS = 0x02; // Insert FCS
export const TXD_CMD_IC = 0x04; // Insert Checksum
export const TXD_CMD_RS = 0x08; // Report Status
export const TXD_CMD_RPS = 0x10; // Report Packet Sent (82544 only; treated as RS)
export const TXD_CMD_DEXT = 0x20; // Descriptor Extension: 1 = context/data descriptor (not legacy)
export const TXD_CMD_VLE = 0x40;
export const TXD_CMD_IDE = 0x80; // Interrupt Delay Enable (TIDV/TADV apply)
export const TXD_STAT_DD = 0x01;

// --- Frame sizes ---------------------------------------------------------------------------
/** Minimum Ethernet frame without FCS: shorter frames are padded (IEEE 802.3 minimum of 64 with FCS). */
export const ETH_MIN_FRAME = 60;
/** Largest frame accepted without RCTL.LPE: 1518 + 4 for a VLAN tag, counted with FCS. */
export const ETH_MAX_FRAME_NO_LPE = 1522;
/** Largest frame accepted with RCTL.LPE (SDM 3.2.2: up to 16 KiB). */
export const ETH_MAX_FRAME_LPE = 16384;
export const ETH_FCS_LEN = 4;
/** Largest frame the transmit path assembles from descriptors before discarding it. */
export const TX_MAX_FRAME = 16384;

/** EEPROM map (SDM 5.6, Table 5-2): 64 16-bit words. */
export const EEPROM_WORDS = 64;
export const EEPROM_MAC_WORD0 = 0x00; // words 0..2: Ethernet address, low byte first
export const EEPROM_INIT_CONTROL1 = 0x0a;
export const EEPROM_SUBSYSTEM_ID = 0x0b;
export const EEPROM_SUBSYSTEM_VENDOR = 0x0c;
export const EEPROM_DEVICE_ID = 0x0d;
export const EEPROM_VENDOR_ID = 0x0e;
export const EEPROM_INIT_CONTROL2 = 0x0f;
export const EEPROM_CHECKSUM_WORD = 0x3f;
/** Words 0x00..0x3F sum to this (mod 2^16) when the image is valid (SDM 5.6.1). */
export const EEPROM_SUM = 0xbaba;
