/* PCI configuration space through mechanism #1 (ports 0xCF8/0xCFC). */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct pci_device {
    uint8_t bus, slot, func;
    uint16_t vendor, device;
    uint8_t class_code, subclass, prog_if;
    uint8_t irq_line;   /* config 0x3C, filled in by firmware (QEMU) or the VMM (v86) */
};

uint32_t pci_read32(const struct pci_device *d, uint8_t offset);
void pci_write32(const struct pci_device *d, uint8_t offset, uint32_t value);

/* Walk every bus reachable from bus 0, print each function, and return the first match. */
bool pci_scan(uint16_t vendor, uint16_t device, struct pci_device *found);

/* Set the given command register bits (PCI_COMMAND_*), leaving the others. */
void pci_enable(const struct pci_device *d, uint16_t command_bits);

#define PCI_COMMAND_MEMORY     0x0002   /* memory space enable */
#define PCI_COMMAND_BUS_MASTER 0x0004

#define PCI_CFG_BAR0           0x10

#endif
