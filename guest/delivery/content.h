/* The content disk the general-purpose side writes (format: docs/linkage.md, "Content disk"):
 * a directory in sectors 0-7, then per content item its hint index (docs/rtsp.md) and its
 * MPEG-TS media, each starting on a sector. Hint records are loaded into memory at boot;
 * media is read on demand into each stream's read-ahead buffer. */
#ifndef DELIVERY_CONTENT_H
#define DELIVERY_CONTENT_H

#include <stdbool.h>
#include <stdint.h>

#define CONTENT_MAX 63

/* One hint record as it lies on disk (little-endian, 16 bytes). */
struct hint_record {
    uint32_t offset_lo, offset_hi;
    uint32_t send_ticks;   /* 90 kHz from the first packet */
    uint16_t length;
    uint16_t flags;        /* bit 0: random-access point */
} __attribute__((packed));

#define HINT_RANDOM_ACCESS 1

struct content {
    uint32_t id;
    char name[32];
    uint32_t media_lba;
    uint32_t media_bytes;
    uint32_t record_count;
    uint32_t duration_ticks;
    uint8_t payload_type;
    const struct hint_record *records;
};

/* Reads the directory and every hint index into pool; returns the number of items loaded. */
unsigned content_load(uint8_t *pool, uint32_t bytes);
#define CONTENT_POOL_BYTES (4u << 20)   /* hint records: ~4.5 h of 1 Mbit/s content in all */
const struct content *content_find(uint32_t id);
/* The record to start at for a position: the last random-access point at or before it. */
uint32_t content_seek(const struct content *c, uint32_t ticks);
/* One past the last record sent before until_ticks (at least from + 1). */
uint32_t content_until(const struct content *c, uint32_t from, uint32_t until_ticks);

#endif
