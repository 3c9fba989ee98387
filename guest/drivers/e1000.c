/* Intel 82540EM driver (8254x SDM chapters 3, 13, 14). Physical memory is identity mapped,
 * so a pointer is its own DMA address.
 *
 * Receive follows the contract the VMM's log-and-replay relies on: per interrupt, exactly one
 * read of ICR (first thing) and exactly one write of RDT (after the whole batch). Between the
 * two, every descriptor with DD set is consumed in ring order. Outside the handler ICR is never
 * read; RDT is written once more, at init, to give the NIC its first RX_RING_SIZE-1 buffers. */
#include "drivers/e1000.h"

#include "arch/cpu.h"
#include "arch/interrupts.h"
#include "arch/io.h"
#include "drivers/e1000_regs.h"
#include "kernel/cmdline.h"
#include "kernel/kprintf.h"
#include "lib/string.h"

#define RX_DESC_FRAME_ERRORS 0x97   /* CE | SE | SEQ | CXE | RXE; IPE/TCPE are checked in software */
#define RESET_POLL_LIMIT 1000000
#define EERD_POLL_LIMIT  100000
#define TX_FULL_POLL_LIMIT 10000000
#define PIC_IRQ_LINES 16

/* Rings and buffers: global, page aligned, in .bss.dma, so a debugger finds them by symbol. */
#define DMA __attribute__((section(".bss.dma"), aligned(4096)))
DMA volatile struct e1000_rx_desc e1000_rx_ring[E1000_RX_RING_SIZE];
DMA volatile struct e1000_tx_desc e1000_tx_ring[E1000_TX_RING_SIZE];
DMA uint8_t e1000_rx_buffers[E1000_RX_RING_SIZE][E1000_BUFFER_SIZE];
DMA uint8_t e1000_tx_buffers[E1000_TX_RING_SIZE][E1000_BUFFER_SIZE];

static uintptr_t mmio;
static e1000_rx_handler_t rx_handler;
static struct e1000_info *nic_info;  /* owned by the caller of e1000_init */
static struct e1000_stats stats;
static unsigned rx_next;        /* next descriptor to check for DD */
static bool rx_discarding;      /* inside a frame that spans descriptors: drop until EOP */
static unsigned tx_tail;        /* next descriptor to fill (mirrors TDT) */
static unsigned tx_clean;       /* oldest descriptor not yet reclaimed */
/* While a batch is open, filled descriptors wait for one TDT write at its end: one doorbell
 * (one exit to the VMM, on real hardware one PCIe write) per scheduler pass, not per frame. */
static bool tx_batching;
static bool tx_unflushed;

static uint32_t reg_read(uint32_t reg) { return mmio_read32(mmio + reg); }
static void reg_write(uint32_t reg, uint32_t v) { mmio_write32(mmio + reg, v); }

static bool eeprom_read(uint8_t addr, uint16_t *out)
{
    reg_write(E1000_EERD, E1000_EERD_START | ((uint32_t)addr << E1000_EERD_ADDR_SHIFT));
    for (int i = 0; i < EERD_POLL_LIMIT; i++) {
        uint32_t v = reg_read(E1000_EERD);
        if (v & E1000_EERD_DONE) {
            *out = v >> E1000_EERD_DATA_SHIFT;
            return true;
        }
    }
    return false;
}

/* The MAC is EEPROM words 0-2 (SDM 5.6.1); RAL0/RAH0 hold it too after reset. */
static void read_mac(uint8_t mac[6])
{
    uint16_t w[3];
    if (eeprom_read(0, &w[0]) && eeprom_read(1, &w[1]) && eeprom_read(2, &w[2])) {
        for (int i = 0; i < 3; i++) {
            mac[2 * i] = w[i] & 0xFF;
            mac[2 * i + 1] = w[i] >> 8;
        }
        if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) != 0 && !(mac[0] & 1))
            return;
    }
    kinfo("e1000: EERD gave no MAC, using RAL0/RAH0\n");
    uint32_t lo = reg_read(E1000_RAL0), hi = reg_read(E1000_RAH0);
    for (int i = 0; i < 4; i++)
        mac[i] = lo >> (8 * i);
    mac[4] = hi;
    mac[5] = hi >> 8;
}

static void reset(void)
{
    reg_write(E1000_IMC, 0xFFFFFFFF);
    reg_write(E1000_CTRL, reg_read(E1000_CTRL) | E1000_CTRL_RST);
    for (int i = 0; i < RESET_POLL_LIMIT && (reg_read(E1000_CTRL) & E1000_CTRL_RST); i++)
        ;
    reg_write(E1000_IMC, 0xFFFFFFFF);   /* reset re-enables nothing, but be explicit */
}

static void setup_rx(void)
{
    for (unsigned i = 0; i < E1000_RX_RING_SIZE; i++) {
        e1000_rx_ring[i].addr = (uint32_t)e1000_rx_buffers[i];
        e1000_rx_ring[i].status = 0;
    }
    rx_next = 0;
    reg_write(E1000_RDBAL, (uint32_t)e1000_rx_ring);
    reg_write(E1000_RDBAH, 0);
    reg_write(E1000_RDLEN, sizeof(e1000_rx_ring));
    reg_write(E1000_RDH, 0);
    /* One descriptor always stays with software: RDH == RDT means "ring full". */
    reg_write(E1000_RDT, E1000_RX_RING_SIZE - 1);
    reg_write(E1000_RDTR, 0);   /* no receive delay: one interrupt per arrival burst */
    reg_write(E1000_RADV, 0);
    reg_write(E1000_ITR, 0);
    reg_write(E1000_RCTL, E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC |
                              E1000_RCTL_RDMTS_HALF | E1000_RCTL_BSIZE_2048);
}

static void setup_tx(void)
{
    for (unsigned i = 0; i < E1000_TX_RING_SIZE; i++) {
        e1000_tx_ring[i].addr = (uint32_t)e1000_tx_buffers[i];
        e1000_tx_ring[i].cmd = 0;
        e1000_tx_ring[i].status = 0;
    }
    tx_tail = tx_clean = 0;
    reg_write(E1000_TDBAL, (uint32_t)e1000_tx_ring);
    reg_write(E1000_TDBAH, 0);
    reg_write(E1000_TDLEN, sizeof(e1000_tx_ring));
    reg_write(E1000_TDH, 0);
    reg_write(E1000_TDT, 0);
    reg_write(E1000_TIPG, E1000_TIPG_DEFAULT);
    reg_write(E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP |
                              (E1000_TCTL_CT_DEFAULT << E1000_TCTL_CT_SHIFT) |
                              (E1000_TCTL_COLD_FULL << E1000_TCTL_COLD_SHIFT));
}

/* Consume every completed RX descriptor in order, then return them all with one RDT write. */
static void receive_batch(void)
{
    for (unsigned n = 0; n < E1000_RX_RING_SIZE; n++) {
        volatile struct e1000_rx_desc *d = &e1000_rx_ring[rx_next];
        uint8_t status = d->status;
        if (!(status & E1000_RXD_STAT_DD))
            break;
        compiler_barrier();   /* read length/errors/data only after seeing DD */
        uint16_t len = d->length;
        bool eop = status & E1000_RXD_STAT_EOP;
        if (rx_discarding || !eop || (d->errors & RX_DESC_FRAME_ERRORS) || len == 0 ||
            len > E1000_BUFFER_SIZE) {
            stats.rx_errors++;
            rx_discarding = !eop;
        } else {
            stats.rx_frames++;
            if (rx_handler)
                rx_handler(e1000_rx_buffers[rx_next], len);
        }
        d->status = 0;
        rx_next = (rx_next + 1) % E1000_RX_RING_SIZE;
    }
    compiler_barrier();
    /* The last consumed descriptor becomes the software-held gap. */
    reg_write(E1000_RDT, (rx_next + E1000_RX_RING_SIZE - 1) % E1000_RX_RING_SIZE);
}

/* ==== DEMONSTRATION RACE: race=rdt-early (off by default) ===================================
 * A copy-break receive path, selected by race=copybreak (correct) or race=rdt-early (the bug).
 * Each frame is copied word by word out of its DMA buffer into a staging buffer, and the
 * buffer is recycled at once into the ring's gap descriptor, which the RDT write hands back
 * to the NIC (one RDT write per descriptor, still "RDT = last consumed slot").
 * Correct order: copy, then recycle and write RDT. race=rdt-early writes RDT first. That is
 * harmless unless the ring was full: then the NIC's next DMA goes into the gap descriptor,
 * i.e. into the buffer being copied, and a frame arriving within the copy's few hundred
 * instructions overwrites the tail of the frame being read. The echo service then reports
 * "race: corrupted frame seq=N ...". The LVMM's recordings replay this exactly
 * (test/recording/race.test.ts). Nothing here runs without race=. */
static bool copybreak;          /* race=copybreak or race=rdt-early */
static bool race_rdt_early;     /* race=rdt-early: the bug */
static uint32_t copybreak_buffer; /* DMA buffer of the frame last copied out */
static uint32_t race_staging[E1000_BUFFER_SIZE / 4];

bool e1000_copybreak_active(void) { return copybreak; }
uint32_t e1000_copybreak_last_buffer(void) { return copybreak_buffer; }

static void copy_out(uint32_t *dst, const volatile uint32_t *src, unsigned len)
{
    for (unsigned i = 0; i < (len + 3) / 4; i++)
        dst[i] = src[i];
}

static void recycle_and_hand_back(unsigned gap, uint32_t buf)
{
    e1000_rx_ring[gap].addr = buf;
    e1000_rx_ring[gap].status = 0;
    compiler_barrier();
    reg_write(E1000_RDT, rx_next);   /* the gap slot (rx_next - 1) goes to the NIC */
}

static void receive_copybreak(void)
{
    for (unsigned n = 0; n < E1000_RX_RING_SIZE; n++) {
        volatile struct e1000_rx_desc *d = &e1000_rx_ring[rx_next];
        uint8_t status = d->status;
        if (!(status & E1000_RXD_STAT_DD))
            break;
        compiler_barrier();
        uint16_t len = d->length;
        bool eop = status & E1000_RXD_STAT_EOP;
        bool good = !(rx_discarding || !eop || (d->errors & RX_DESC_FRAME_ERRORS) || len == 0 ||
                      len > E1000_BUFFER_SIZE);
        uint32_t buf = (uint32_t)d->addr;
        unsigned gap = (rx_next + E1000_RX_RING_SIZE - 1) % E1000_RX_RING_SIZE;
        d->status = 0;
        if (race_rdt_early)
            recycle_and_hand_back(gap, buf);   /* RACE: too early, the copy below still reads buf */
        if (good)
            copy_out(race_staging, (const volatile uint32_t *)buf, len);
        if (!race_rdt_early)
            recycle_and_hand_back(gap, buf);
        copybreak_buffer = buf;
        if (good) {
            stats.rx_frames++;
            if (rx_handler)
                rx_handler((const uint8_t *)race_staging, len);
        } else {
            stats.rx_errors++;
            rx_discarding = !eop;
        }
        rx_next = (rx_next + 1) % E1000_RX_RING_SIZE;
    }
}
/* ==== end of the demonstration race ======================================================== */

static void service(void)
{
    uint32_t icr = reg_read(E1000_ICR);   /* read once: this read clears the causes */
    stats.interrupts++;
    if (icr & E1000_ICR_RXO)
        stats.rx_overruns++;
    if (icr & E1000_ICR_LSC)
        nic_info->link_up = reg_read(E1000_STATUS) & E1000_STATUS_LU;
    if (copybreak)
        receive_copybreak();
    else
        receive_batch();
}

static void e1000_irq(void)
{
    service();
}

void e1000_poll(void)
{
    uint32_t flags = irq_save();
    service();
    irq_restore(flags);
}

bool e1000_init(const struct pci_device *pci, e1000_rx_handler_t rx, struct e1000_info *info)
{
    uint32_t bar0 = pci_read32(pci, PCI_CFG_BAR0);
    if (bar0 & 1) {
        kprintf("e1000: BAR0 0x%08x is an I/O BAR, expected memory\n", bar0);
        return false;
    }
    /* BAR0 stays where firmware (QEMU) or the VMM (v86) put it: never reprogrammed here. */
    mmio = bar0 & ~0xFu;
    if (mmio == 0) {
        kprintf("e1000: BAR0 is not assigned\n");
        return false;
    }
    pci_enable(pci, PCI_COMMAND_MEMORY | PCI_COMMAND_BUS_MASTER);

    nic_info = info;
    rx_handler = rx;
    race_rdt_early = strcmp(boot_options.race, "rdt-early") == 0;
    copybreak = race_rdt_early || strcmp(boot_options.race, "copybreak") == 0;
    if (copybreak)
        kprintf("e1000: copy-break receive%s\n", race_rdt_early ? " with the rdt-early race" : "");
    info->mmio_base = mmio;
    info->irq = pci->irq_line;
    info->polled = pci->irq_line == 0 || pci->irq_line >= PIC_IRQ_LINES;

    reset();
    read_mac(info->mac);
    reg_write(E1000_RAL0, info->mac[0] | info->mac[1] << 8 | info->mac[2] << 16 |
                              (uint32_t)info->mac[3] << 24);
    reg_write(E1000_RAH0, info->mac[4] | info->mac[5] << 8 | E1000_RAH_AV);
    for (int i = 0; i < E1000_MTA_ENTRIES; i++)
        reg_write(E1000_MTA + 4 * i, 0);

    uint32_t ctrl = reg_read(E1000_CTRL);
    ctrl &= ~(E1000_CTRL_LRST | E1000_CTRL_ILOS | E1000_CTRL_VME | E1000_CTRL_PHY_RST);
    reg_write(E1000_CTRL, ctrl | E1000_CTRL_SLU | E1000_CTRL_ASDE);

    setup_rx();
    setup_tx();
    info->link_up = reg_read(E1000_STATUS) & E1000_STATUS_LU;
    kinfo("e1000: bar0=0x%08x rx ring=0x%08x tx ring=0x%08x %u x %u-byte buffers each\n", mmio,
          (uint32_t)e1000_rx_ring, (uint32_t)e1000_tx_ring, E1000_RX_RING_SIZE, E1000_BUFFER_SIZE);
    return true;
}

void e1000_start(void)
{
    if (nic_info->polled)
        kprintf("e1000: interrupt line %u unusable, polling from the idle loop\n", nic_info->irq);
    else
        irq_register(nic_info->irq, e1000_irq);
    reg_write(E1000_IMS, E1000_ICR_RXT0 | E1000_ICR_RXO | E1000_ICR_RXDMT0 | E1000_ICR_LSC);
}

static void tx_reclaim(void)
{
    while (tx_clean != tx_tail && (e1000_tx_ring[tx_clean].status & E1000_TXD_STAT_DD))
        tx_clean = (tx_clean + 1) % E1000_TX_RING_SIZE;
}

/* One slot stays empty so that TDT == TDH always means "nothing queued". */
static bool tx_ring_full(void)
{
    return (tx_tail + 1) % E1000_TX_RING_SIZE == tx_clean;
}

static void tx_doorbell(void)
{
    compiler_barrier();   /* descriptors and buffers before the doorbell */
    reg_write(E1000_TDT, tx_tail);
    tx_unflushed = false;
}

void e1000_tx_batch_begin(void)
{
    tx_batching = true;
}

void e1000_tx_batch_end(void)
{
    uint32_t flags = irq_save();
    tx_batching = false;
    if (tx_unflushed)
        tx_doorbell();
    irq_restore(flags);
}

bool e1000_transmit(const void *frame, size_t len)
{
    if (len == 0 || len > E1000_BUFFER_SIZE) {
        stats.tx_dropped++;
        return false;
    }
    uint32_t flags = irq_save();
    tx_reclaim();
    if (tx_ring_full() && tx_unflushed)
        tx_doorbell();   /* the device cannot free descriptors it has not been told of */
    tx_reclaim();
    if (tx_ring_full()) {
        stats.tx_ring_full_waits++;
        for (int i = 0; i < TX_FULL_POLL_LIMIT && tx_ring_full(); i++)
            tx_reclaim();
        if (tx_ring_full()) {
            stats.tx_dropped++;
            irq_restore(flags);
            return false;
        }
    }
    unsigned i = tx_tail;
    memcpy(e1000_tx_buffers[i], frame, len);
    volatile struct e1000_tx_desc *d = &e1000_tx_ring[i];
    d->addr = (uint32_t)e1000_tx_buffers[i];
    d->length = len;
    d->cso = 0;
    d->css = 0;
    d->special = 0;
    d->status = 0;
    d->cmd = E1000_TXD_CMD_EOP | E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS;
    tx_tail = (i + 1) % E1000_TX_RING_SIZE;
    if (tx_batching)
        tx_unflushed = true;
    else
        tx_doorbell();
    stats.tx_frames++;
    irq_restore(flags);
    return true;
}

const struct e1000_stats *e1000_get_stats(void)
{
    return &stats;
}

void e1000_fault_wild_rings(uint32_t addr)
{
    reg_write(E1000_RDBAL, addr);
    reg_write(E1000_TDBAL, addr);
}
