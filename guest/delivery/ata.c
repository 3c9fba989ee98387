/* ATA/ATAPI-6 (T13/1410D) PIO and DMA reads, Bus Master IDE (SFF-8038i) PRD tables, as v86's
 * src/ide.js implements them: READ DMA (0xC8) starts when the bus-master command register's
 * start bit is set, and the transfer is done when the bus-master status's active bit clears. */
#include "delivery/ata.h"

#include "arch/io.h"
#include "drivers/pci.h"
#include "kernel/kprintf.h"

/* Command block (primary channel) and control block registers, ATA-6 section 7. */
#define ATA_IO          0x1F0
#define ATA_REG_DATA    (ATA_IO + 0)
#define ATA_REG_ERROR   (ATA_IO + 1)
#define ATA_REG_COUNT   (ATA_IO + 2)
#define ATA_REG_LBA0    (ATA_IO + 3)
#define ATA_REG_LBA1    (ATA_IO + 4)
#define ATA_REG_LBA2    (ATA_IO + 5)
#define ATA_REG_DEVICE  (ATA_IO + 6)
#define ATA_REG_STATUS  (ATA_IO + 7)
#define ATA_REG_COMMAND (ATA_IO + 7)
#define ATA_REG_CONTROL 0x3F6
#define ATA_CTL_NIEN    0x02
#define ATA_DEV_LBA     0xE0   /* LBA addressing, master */

#define ATA_SR_ERR  0x01
#define ATA_SR_DRQ  0x08
#define ATA_SR_DF   0x20
#define ATA_SR_DRDY 0x40
#define ATA_SR_BSY  0x80

#define ATA_CMD_READ_SECTORS 0x20
#define ATA_CMD_READ_DMA     0xC8
#define ATA_CMD_IDENTIFY     0xEC

/* Bus Master IDE registers (SFF-8038i section 2), offsets from BAR4, primary channel. */
#define PIIX_VENDOR  0x8086
#define PIIX_DEVICE  0x7010   /* 82371SB PIIX3 IDE */
#define PCI_CFG_BAR4 0x20
#define BMI_COMMAND  0
#define BMI_STATUS   2
#define BMI_PRDT     4
#define BMI_CMD_START 0x01
#define BMI_CMD_READ  0x08   /* bus master writes memory */
#define BMI_ST_ACTIVE 0x01
#define BMI_ST_ERROR  0x02
#define BMI_ST_IRQ    0x04
#define PRD_EOT       0x8000

#define POLL_LIMIT 2000000

struct prd {
    uint32_t addr;
    uint16_t bytes;   /* 0 means 64 KiB */
    uint16_t flags;
} __attribute__((packed));

/* A PRD table must not cross a 64 KiB boundary; 8-byte alignment suffices for a short one. */
static struct prd prdt[4] __attribute__((aligned(64)));
static uint16_t bmi;
static bool dma;
static uint32_t sectors;
static struct ata_stats stats;

static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void insw(uint16_t port, void *buf, uint32_t words)
{
    __asm__ volatile("rep insw" : "+D"(buf), "+c"(words) : "d"(port) : "memory");
}

static bool wait_not_busy(uint8_t *status)
{
    for (int i = 0; i < POLL_LIMIT; i++) {
        uint8_t s = inb(ATA_REG_STATUS);
        if (!(s & ATA_SR_BSY)) {
            *status = s;
            return true;
        }
    }
    return false;
}

static bool wait_drq(void)
{
    for (int i = 0; i < POLL_LIMIT; i++) {
        uint8_t s = inb(ATA_REG_STATUS);
        if (s & (ATA_SR_ERR | ATA_SR_DF))
            return false;
        if (!(s & ATA_SR_BSY) && (s & ATA_SR_DRQ))
            return true;
    }
    return false;
}

static void issue(uint8_t command, uint32_t lba, uint32_t count)
{
    outb(ATA_REG_DEVICE, ATA_DEV_LBA | ((lba >> 24) & 0x0F));
    outb(ATA_REG_COUNT, (uint8_t)count);   /* 256 is written as 0 */
    outb(ATA_REG_LBA0, (uint8_t)lba);
    outb(ATA_REG_LBA1, (uint8_t)(lba >> 8));
    outb(ATA_REG_LBA2, (uint8_t)(lba >> 16));
    outb(ATA_REG_COMMAND, command);
}

static bool read_pio(uint32_t lba, uint32_t count, void *buf)
{
    uint8_t s;
    if (!wait_not_busy(&s))
        return false;
    issue(ATA_CMD_READ_SECTORS, lba, count);
    uint16_t *p = buf;
    for (uint32_t i = 0; i < count; i++) {
        if (!wait_drq())
            return false;
        insw(ATA_REG_DATA, p, ATA_SECTOR / 2);
        p += ATA_SECTOR / 2;
    }
    return wait_not_busy(&s) && !(s & ATA_SR_ERR);
}

static bool read_dma(uint32_t lba, uint32_t count, void *buf)
{
    uint32_t addr = (uint32_t)buf, left = count * ATA_SECTOR;
    unsigned n = 0;
    /* Split the buffer at 64 KiB boundaries: one PRD may not cross one (SFF-8038i 1.2). */
    while (left) {
        uint32_t room = 0x10000 - (addr & 0xFFFF);
        uint32_t chunk = left < room ? left : room;
        if (n == sizeof(prdt) / sizeof(prdt[0]))
            return false;
        prdt[n++] = (struct prd){ addr, (uint16_t)chunk, 0 };
        addr += chunk;
        left -= chunk;
    }
    prdt[n - 1].flags = PRD_EOT;

    uint8_t s;
    if (!wait_not_busy(&s))
        return false;
    outb(bmi + BMI_COMMAND, 0);
    outl(bmi + BMI_PRDT, (uint32_t)prdt);
    outb(bmi + BMI_STATUS, BMI_ST_ERROR | BMI_ST_IRQ);   /* write 1 to clear */
    outb(bmi + BMI_COMMAND, BMI_CMD_READ);
    issue(ATA_CMD_READ_DMA, lba, count);
    outb(bmi + BMI_COMMAND, BMI_CMD_READ | BMI_CMD_START);
    bool done = false;
    uint8_t bs = 0;
    for (int i = 0; i < POLL_LIMIT; i++) {
        bs = inb(bmi + BMI_STATUS);
        if (!(bs & BMI_ST_ACTIVE) || (bs & BMI_ST_ERROR)) {
            done = true;
            break;
        }
    }
    outb(bmi + BMI_COMMAND, 0);
    if (!done || (bs & BMI_ST_ERROR) || !wait_not_busy(&s) || (s & (ATA_SR_ERR | ATA_SR_DF)))
        return false;
    return true;
}

static bool identify(void)
{
    outb(ATA_REG_DEVICE, ATA_DEV_LBA);
    uint8_t s = inb(ATA_REG_STATUS);
    if (s == 0 || s == 0xFF)
        return false;   /* floating bus: no drive */
    outb(ATA_REG_COMMAND, ATA_CMD_IDENTIFY);
    if (!wait_drq())
        return false;
    static uint16_t id[256];
    insw(ATA_REG_DATA, id, 256);
    sectors = (uint32_t)id[61] << 16 | id[60];   /* words 60-61: LBA28 sectors (ATA-6 8.15) */
    return sectors != 0;
}

bool ata_init(void)
{
    outb(ATA_REG_CONTROL, ATA_CTL_NIEN);
    if (!identify()) {
        kprintf("ata: no disk on the primary master\n");
        return false;
    }
    struct pci_device dev;
    if (pci_scan(PIIX_VENDOR, PIIX_DEVICE, &dev)) {
        uint32_t bar4 = pci_read32(&dev, PCI_CFG_BAR4);
        if (bar4 & 1) {
            bmi = (uint16_t)(bar4 & ~3u);
            pci_enable(&dev, PCI_COMMAND_BUS_MASTER | 0x0001 /* I/O space */);
            static uint8_t probe[ATA_SECTOR] __attribute__((aligned(16)));
            dma = read_dma(0, 1, probe);
            if (!dma)
                kprintf("ata: bus-master DMA read failed, falling back to PIO\n");
        } else {
            kprintf("ata: BAR4 0x%08x is not an I/O BAR, using PIO\n", bar4);
        }
    } else {
        kprintf("ata: no PIIX IDE (8086:7010) for bus-master DMA, using PIO\n");
    }
    if (!dma)
        stats.dma_fallbacks++;
    kprintf("ata: disk %u sectors (%u MiB), %s\n", sectors, sectors / 2048,
            dma ? "bus-master DMA" : "PIO");
    return true;
}

bool ata_read(uint32_t lba, uint32_t count, void *buf)
{
    if (count == 0 || count > ATA_MAX_SECTORS_PER_READ || lba + count > sectors) {
        stats.errors++;
        return false;
    }
    bool ok = dma ? read_dma(lba, count, buf) : read_pio(lba, count, buf);
    if (!ok && dma) {
        kprintf("ata: DMA read of lba %u failed, retrying with PIO\n", lba);
        stats.dma_fallbacks++;
        ok = read_pio(lba, count, buf);
    }
    stats.reads++;
    if (ok)
        stats.sectors += count;
    else
        stats.errors++;
    return ok;
}

bool ata_uses_dma(void) { return dma; }
uint32_t ata_sector_count(void) { return sectors; }
const struct ata_stats *ata_get_stats(void) { return &stats; }
