/* Intel 82540EM (e1000) driver: legacy RX/TX descriptor rings, interrupt-driven receive. */
#ifndef DRIVERS_E1000_H
#define DRIVERS_E1000_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/pci.h"

#define E1000_RX_RING_SIZE 64
#define E1000_TX_RING_SIZE 64
#define E1000_BUFFER_SIZE  2048

struct e1000_stats {
    uint32_t interrupts;
    uint32_t rx_frames;          /* descriptors handed to the stack */
    uint32_t rx_errors;          /* descriptors with error bits or without EOP */
    uint32_t rx_overruns;        /* interrupts whose ICR had RXO set */
    uint32_t tx_frames;
    uint32_t tx_ring_full_waits; /* transmits that found the TX ring full and waited */
    uint32_t tx_dropped;         /* oversize frames, or the ring never drained */
};

struct e1000_info {
    uint8_t mac[6];
    uint32_t mmio_base;
    uint8_t irq;         /* IRQ line from PCI config 0x3C */
    bool polled;         /* no usable IRQ line: serviced from the idle loop instead */
    bool link_up;
};

typedef void (*e1000_rx_handler_t)(const uint8_t *frame, size_t len);

/* Reset the NIC, read its MAC, build both rings and enable RX/TX. Interrupts stay masked
 * until e1000_start, so the stack can be configured first. */
bool e1000_init(const struct pci_device *pci, e1000_rx_handler_t rx, struct e1000_info *info);
void e1000_start(void);
/* For the polled fallback: the same work the interrupt handler does. */
void e1000_poll(void);

/* Copy a frame (without FCS) into the next TX buffer and hand it to the NIC. */
bool e1000_transmit(const void *frame, size_t len);
/* Frames transmitted between these two go to the device with one TDT write, at the end. */
void e1000_tx_batch_begin(void);
void e1000_tx_batch_end(void);

const struct e1000_stats *e1000_get_stats(void);

/* Demonstration race (race=copybreak|rdt-early, see e1000.c): whether the copy-break receive
 * path is on, and the DMA buffer of the frame it copied last. */
bool e1000_copybreak_active(void);
uint32_t e1000_copybreak_last_buffer(void);

/* Fault injection (fault=wild-dma): point both ring base registers at addr. */
void e1000_fault_wild_rings(uint32_t addr);

#endif
