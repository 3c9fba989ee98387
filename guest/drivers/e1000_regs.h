/* Intel 82540EM (e1000) registers, bits and descriptor layouts, with the names used in the
 * "PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's Manual" (8254x SDM),
 * section 13 (registers) and 3.2.3 / 3.3.3 (legacy descriptors). */
#ifndef DRIVERS_E1000_REGS_H
#define DRIVERS_E1000_REGS_H

#include <stdint.h>

#define E1000_VENDOR_INTEL   0x8086
#define E1000_DEVICE_82540EM 0x100E

/* Register offsets in BAR0 (SDM 13.1, table 13-2). */
#define E1000_CTRL   0x0000
#define E1000_STATUS 0x0008
#define E1000_EERD   0x0014
#define E1000_ICR    0x00C0   /* read clears */
#define E1000_ITR    0x00C4
#define E1000_IMS    0x00D0
#define E1000_IMC    0x00D8
#define E1000_RCTL   0x0100
#define E1000_TCTL   0x0400
#define E1000_TIPG   0x0410
#define E1000_RDBAL  0x2800
#define E1000_RDBAH  0x2804
#define E1000_RDLEN  0x2808
#define E1000_RDH    0x2810
#define E1000_RDT    0x2818
#define E1000_RDTR   0x2820
#define E1000_RADV   0x282C
#define E1000_TDBAL  0x3800
#define E1000_TDBAH  0x3804
#define E1000_TDLEN  0x3808
#define E1000_TDH    0x3810
#define E1000_TDT    0x3818
#define E1000_MTA    0x5200   /* 128 entries */
#define E1000_RAL0   0x5400
#define E1000_RAH0   0x5404

#define E1000_MTA_ENTRIES 128

/* CTRL (SDM 13.4.1) */
#define E1000_CTRL_LRST    (1u << 3)
#define E1000_CTRL_ASDE    (1u << 5)
#define E1000_CTRL_SLU     (1u << 6)
#define E1000_CTRL_ILOS    (1u << 7)
#define E1000_CTRL_RST     (1u << 26)   /* self-clearing */
#define E1000_CTRL_VME     (1u << 30)
#define E1000_CTRL_PHY_RST (1u << 31)

/* STATUS (SDM 13.4.2) */
#define E1000_STATUS_LU    (1u << 1)

/* EERD (SDM 13.4.4) */
#define E1000_EERD_START      (1u << 0)
#define E1000_EERD_DONE       (1u << 4)
#define E1000_EERD_ADDR_SHIFT 8
#define E1000_EERD_DATA_SHIFT 16

/* Interrupt causes, shared by ICR/IMS/IMC (SDM 13.4.17) */
#define E1000_ICR_TXDW   (1u << 0)
#define E1000_ICR_TXQE   (1u << 1)
#define E1000_ICR_LSC    (1u << 2)
#define E1000_ICR_RXDMT0 (1u << 4)
#define E1000_ICR_RXO    (1u << 6)
#define E1000_ICR_RXT0   (1u << 7)

/* RCTL (SDM 13.4.22) */
#define E1000_RCTL_EN          (1u << 1)
#define E1000_RCTL_UPE         (1u << 3)
#define E1000_RCTL_MPE         (1u << 4)
#define E1000_RCTL_RDMTS_HALF  (0u << 8)
#define E1000_RCTL_BAM         (1u << 15)
#define E1000_RCTL_BSIZE_2048  (0u << 16)   /* with BSEX = 0 */
#define E1000_RCTL_SECRC       (1u << 26)

/* TCTL (SDM 13.4.33) */
#define E1000_TCTL_EN          (1u << 1)
#define E1000_TCTL_PSP         (1u << 3)
#define E1000_TCTL_CT_SHIFT    4
#define E1000_TCTL_COLD_SHIFT  12
#define E1000_TCTL_CT_DEFAULT   0x0F   /* collision threshold, SDM recommends 0Fh */
#define E1000_TCTL_COLD_FULL    0x40   /* collision distance, full duplex */

/* TIPG for the 82540EM copper PHY (SDM 13.4.34): IPGT 10, IPGR1 8, IPGR2 6. */
#define E1000_TIPG_DEFAULT (10u | (8u << 10) | (6u << 20))

/* RAH (SDM 13.4.62) */
#define E1000_RAH_AV (1u << 31)

/* Legacy receive descriptor (SDM 3.2.3) */
struct e1000_rx_desc {
    uint64_t addr;
    uint16_t length;
    uint16_t checksum;
    uint8_t status;
    uint8_t errors;
    uint16_t special;
} __attribute__((packed));

#define E1000_RXD_STAT_DD  0x01
#define E1000_RXD_STAT_EOP 0x02

/* Legacy transmit descriptor (SDM 3.3.3) */
struct e1000_tx_desc {
    uint64_t addr;
    uint16_t length;
    uint8_t cso;
    uint8_t cmd;
    uint8_t status;
    uint8_t css;
    uint16_t special;
} __attribute__((packed));

#define E1000_TXD_CMD_EOP  0x01
#define E1000_TXD_CMD_IFCS 0x02
#define E1000_TXD_CMD_RS   0x08
#define E1000_TXD_STAT_DD  0x01

#endif
