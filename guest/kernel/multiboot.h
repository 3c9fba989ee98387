/* The parts of the Multiboot 0.6.96 information structure (section 3.3) the kernel reads. */
#ifndef KERNEL_MULTIBOOT_H
#define KERNEL_MULTIBOOT_H

#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002
#define MULTIBOOT_INFO_MEMORY      (1u << 0)
#define MULTIBOOT_INFO_CMDLINE     (1u << 2)

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower;   /* KiB below 1 MiB */
    uint32_t mem_upper;   /* KiB above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;     /* physical address of a NUL-terminated string */
};

#endif
