/* ATA disk driver for the primary master of a PIIX IDE controller (ports 0x1F0/0x3F6), with
 * PCI bus-master DMA (8086:7010, BAR4) preferred and PIO as the fallback. Polled: the device's
 * interrupt stays disabled (nIEN), completion is read from the status registers. */
#ifndef DELIVERY_ATA_H
#define DELIVERY_ATA_H

#include <stdbool.h>
#include <stdint.h>

#define ATA_SECTOR 512
#define ATA_MAX_SECTORS_PER_READ 128   /* 64 KiB, one PRD entry's worth */

struct ata_stats {
    uint32_t reads, sectors, errors, dma_fallbacks;
};

/* Finds the disk, reads IDENTIFY, and tries one DMA read; false when there is no disk. */
bool ata_init(void);
bool ata_uses_dma(void);
uint32_t ata_sector_count(void);
/* Reads count (1..ATA_MAX_SECTORS_PER_READ) sectors at lba into buf (identity-mapped memory). */
bool ata_read(uint32_t lba, uint32_t count, void *buf);
const struct ata_stats *ata_get_stats(void);

#endif
