#include "delivery/content.h"

#include "delivery/ata.h"
#include "kernel/kprintf.h"
#include "lib/string.h"

#define DIR_SECTORS     8
#define DIR_MAGIC       "LVMMDISK"
#define DIR_VERSION     1
#define DIR_HEADER      64
#define DIR_ENTRY       64
#define HINT_MAGIC      "SSHINT\0\0"
#define HINT_VERSION    1
#define HINT_HEADER     512

static uint8_t dir[DIR_SECTORS * ATA_SECTOR] __attribute__((aligned(16)));
static uint8_t *hint_pool;
static uint32_t pool_used, pool_bytes;
static struct content items[CONTENT_MAX];
static unsigned nitems;

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool read_span(uint32_t lba, uint32_t count, uint8_t *dst)
{
    while (count) {
        uint32_t n = count < ATA_MAX_SECTORS_PER_READ ? count : ATA_MAX_SECTORS_PER_READ;
        if (!ata_read(lba, n, dst))
            return false;
        lba += n;
        count -= n;
        dst += n * ATA_SECTOR;
    }
    return true;
}

static bool load_item(const uint8_t *e, struct content *c)
{
    uint32_t hint_lba = le32(e + 4), hint_sectors = le32(e + 8);
    uint32_t bytes = hint_sectors * ATA_SECTOR;
    if (bytes > pool_bytes - pool_used) {
        kprintf("content: no room for the hint index of %s (%u bytes)\n", (const char *)e + 32, bytes);
        return false;
    }
    uint8_t *h = hint_pool + pool_used;
    if (!read_span(hint_lba, hint_sectors, h))
        return false;
    if (memcmp(h, HINT_MAGIC, 8) != 0 || le32(h + 8) != HINT_VERSION) {
        kprintf("content: bad hint index header for %s\n", (const char *)e + 32);
        return false;
    }
    c->id = le32(e);
    memcpy(c->name, e + 32, sizeof(c->name));
    c->name[sizeof(c->name) - 1] = '\0';
    c->media_lba = le32(e + 12);
    c->media_bytes = le32(e + 20);
    c->record_count = le32(h + 20);
    c->payload_type = h[28];
    c->duration_ticks = le32(h + 40);
    c->records = (const struct hint_record *)(h + HINT_HEADER);
    if (c->record_count == 0 || HINT_HEADER + c->record_count * sizeof(struct hint_record) > bytes)
        return false;
    pool_used += (bytes + 15) & ~15u;
    return true;
}

unsigned content_load(uint8_t *pool, uint32_t bytes)
{
    hint_pool = pool;
    pool_bytes = bytes;
    if (!read_span(0, DIR_SECTORS, dir) || memcmp(dir, DIR_MAGIC, 8) != 0 || le32(dir + 8) != DIR_VERSION) {
        kprintf("content: no content directory on the disk\n");
        return 0;
    }
    uint32_t n = le32(dir + 12);
    if (n > CONTENT_MAX)
        n = CONTENT_MAX;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = dir + DIR_HEADER + i * DIR_ENTRY;
        if (load_item(e, &items[nitems])) {
            const struct content *c = &items[nitems];
            kinfo("content: #%u %s %u records %u bytes at lba %u\n", c->id, c->name, c->record_count,
                  c->media_bytes, c->media_lba);
            nitems++;
        }
    }
    return nitems;
}

const struct content *content_find(uint32_t id)
{
    for (unsigned i = 0; i < nitems; i++)
        if (items[i].id == id)
            return &items[i];
    return 0;
}

uint32_t content_seek(const struct content *c, uint32_t ticks)
{
    uint32_t lo = 0, hi = c->record_count - 1;
    while (lo < hi) {   /* last record with send_ticks <= ticks */
        uint32_t mid = (lo + hi + 1) / 2;
        if (c->records[mid].send_ticks <= ticks)
            lo = mid;
        else
            hi = mid - 1;
    }
    for (uint32_t i = lo + 1; i-- > 0;)
        if (c->records[i].flags & HINT_RANDOM_ACCESS)
            return i;
    return 0;
}

uint32_t content_until(const struct content *c, uint32_t from, uint32_t until_ticks)
{
    uint32_t lo = from, hi = c->record_count;
    while (lo < hi) {   /* first record with send_ticks >= until */
        uint32_t mid = (lo + hi) / 2;
        if (c->records[mid].send_ticks < until_ticks)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > from ? lo : from + 1;
}
