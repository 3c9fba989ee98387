/* PCI Local Bus Specification 3.0, 3.2.2.3.2 (configuration mechanism #1) and 6.1 (header). */
#include "drivers/pci.h"

#include "arch/io.h"
#include "kernel/kprintf.h"

#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA    0xCFC
#define PCI_ENABLE_BIT     0x80000000u

#define PCI_CFG_VENDOR_DEVICE 0x00
#define PCI_CFG_COMMAND       0x04
#define PCI_CFG_CLASS         0x08   /* revision, prog-if, subclass, class */
#define PCI_CFG_HEADER_TYPE   0x0C   /* byte 2 of the dword */
#define PCI_CFG_BUS_NUMBERS   0x18   /* type 1 header: primary, secondary, subordinate */
#define PCI_CFG_INTERRUPT     0x3C   /* line (byte 0), pin (byte 1) */

#define PCI_HEADER_MULTIFUNCTION 0x80
#define PCI_CLASS_BRIDGE      0x06
#define PCI_SUBCLASS_PCI_PCI  0x04
#define PCI_MAX_BUSES         256

static uint32_t config_address(uint8_t bus, uint8_t slot, uint8_t func, uint8_t offset)
{
    return PCI_ENABLE_BIT | ((uint32_t)bus << 16) | ((uint32_t)slot << 11) |
           ((uint32_t)func << 8) | (offset & 0xFC);
}

static uint32_t read_raw(uint8_t bus, uint8_t slot, uint8_t func, uint8_t offset)
{
    outl(PCI_CONFIG_ADDRESS, config_address(bus, slot, func, offset));
    return inl(PCI_CONFIG_DATA);
}

uint32_t pci_read32(const struct pci_device *d, uint8_t offset)
{
    return read_raw(d->bus, d->slot, d->func, offset);
}

void pci_write32(const struct pci_device *d, uint8_t offset, uint32_t value)
{
    outl(PCI_CONFIG_ADDRESS, config_address(d->bus, d->slot, d->func, offset));
    outl(PCI_CONFIG_DATA, value);
}

void pci_enable(const struct pci_device *d, uint16_t command_bits)
{
    /* The upper half is the status register, whose error bits are write-1-to-clear: write 0s. */
    uint32_t cmd = pci_read32(d, PCI_CFG_COMMAND) & 0xFFFF;
    pci_write32(d, PCI_CFG_COMMAND, cmd | command_bits);
}

struct scan {
    uint16_t vendor, device;
    bool found;
    struct pci_device *match;
    bool bus_seen[PCI_MAX_BUSES];
};

static void scan_bus(struct scan *s, uint8_t bus);

static void scan_function(struct scan *s, uint8_t bus, uint8_t slot, uint8_t func)
{
    uint32_t id = read_raw(bus, slot, func, PCI_CFG_VENDOR_DEVICE);
    uint32_t cls = read_raw(bus, slot, func, PCI_CFG_CLASS);
    uint32_t intr = read_raw(bus, slot, func, PCI_CFG_INTERRUPT);
    struct pci_device d = {
        .bus = bus, .slot = slot, .func = func,
        .vendor = id & 0xFFFF, .device = id >> 16,
        .class_code = cls >> 24, .subclass = (cls >> 16) & 0xFF, .prog_if = (cls >> 8) & 0xFF,
        .irq_line = intr & 0xFF,
    };
    kinfo("pci: %02x:%02x.%u %04x:%04x class %02x:%02x:%02x irq=%u\n", bus, slot, func, d.vendor,
          d.device, d.class_code, d.subclass, d.prog_if, d.irq_line);
    if (!s->found && d.vendor == s->vendor && d.device == s->device) {
        *s->match = d;
        s->found = true;
    }
    if (d.class_code == PCI_CLASS_BRIDGE && d.subclass == PCI_SUBCLASS_PCI_PCI) {
        uint8_t secondary = (read_raw(bus, slot, func, PCI_CFG_BUS_NUMBERS) >> 8) & 0xFF;
        scan_bus(s, secondary);
    }
}

static void scan_bus(struct scan *s, uint8_t bus)
{
    if (s->bus_seen[bus])
        return;   /* unconfigured bridges report secondary bus 0: don't loop */
    s->bus_seen[bus] = true;
    for (uint8_t slot = 0; slot < 32; slot++) {
        if ((read_raw(bus, slot, 0, PCI_CFG_VENDOR_DEVICE) & 0xFFFF) == 0xFFFF)
            continue;
        uint8_t header = (read_raw(bus, slot, 0, PCI_CFG_HEADER_TYPE) >> 16) & 0xFF;
        uint8_t nfunc = (header & PCI_HEADER_MULTIFUNCTION) ? 8 : 1;
        for (uint8_t func = 0; func < nfunc; func++)
            if ((read_raw(bus, slot, func, PCI_CFG_VENDOR_DEVICE) & 0xFFFF) != 0xFFFF)
                scan_function(s, bus, slot, func);
    }
}

bool pci_scan(uint16_t vendor, uint16_t device, struct pci_device *found)
{
    static struct scan s;   /* 256-byte bus map: keep it off the stack */
    for (int i = 0; i < PCI_MAX_BUSES; i++)
        s.bus_seen[i] = false;
    s.vendor = vendor;
    s.device = device;
    s.found = false;
    s.match = found;
    scan_bus(&s, 0);
    return s.found;
}
