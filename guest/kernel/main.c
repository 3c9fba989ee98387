/* Boot sequence of the I/O engine: console, options, interrupts, timer, PCI, e1000, network
 * stack, services; then the optional fault or workload, then the idle loop. */
#include <stdint.h>

#include "arch/cpu.h"
#include "arch/interrupts.h"
#include "arch/pit.h"
#include "drivers/e1000.h"
#include "drivers/e1000_regs.h"
#include "delivery/engine.h"
#include "drivers/pci.h"
#include "drivers/serial.h"
#include "kernel/cmdline.h"
#include "kernel/compute.h"
#include "kernel/sti-edge.h"
#include "kernel/faults.h"
#include "kernel/kprintf.h"
#include "kernel/multiboot.h"
#include "lib/string.h"
#include "net/echo.h"
#include "net/netif.h"

#define IOENGINE_VERSION "0.1"
#define FAULT_DELAY_TICKS 50   /* let a test see "ready" before the fault hits */

extern char __kernel_start[], __kernel_end[];

/* Copied out of the loader's memory first thing, and global for the debugger. */
char boot_cmdline[CMDLINE_MAX];
struct boot_options boot_options;
struct e1000_info nic;

static void copy_cmdline(uint32_t magic, const struct multiboot_info *mbi)
{
    boot_cmdline[0] = '\0';
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC || !(mbi->flags & MULTIBOOT_INFO_CMDLINE))
        return;
    const char *src = (const char *)mbi->cmdline;
    size_t n = 0;
    while (src[n] && n + 1 < sizeof(boot_cmdline)) {
        boot_cmdline[n] = src[n];
        n++;
    }
    boot_cmdline[n] = '\0';
}

static void format_ip(char *buf, size_t size, uint32_t ip)
{
    ksnprintf(buf, size, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xFF, (ip >> 8) & 0xFF, ip & 0xFF);
}

static bool start_network(void)
{
    struct pci_device dev;
    if (!pci_scan(E1000_VENDOR_INTEL, E1000_DEVICE_82540EM, &dev)) {
        kprintf("net: no e1000 (8086:100e) found, network disabled\n");
        return false;
    }
    if (!e1000_init(&dev, net_input, &nic)) {
        kprintf("net: e1000 init failed, network disabled\n");
        return false;
    }
    net_init(nic.mac, boot_options.ip, boot_options.gateway);
    echo_service_start();
    e1000_start();

    char ip[16], gw[16], irq[8];
    format_ip(ip, sizeof(ip), netif.ip);
    format_ip(gw, sizeof(gw), netif.gateway);
    if (nic.polled)
        ksnprintf(irq, sizeof(irq), "none");
    else
        ksnprintf(irq, sizeof(irq), "%u", nic.irq);
    const uint8_t *m = nic.mac;
    kprintf("net: e1000 mac=%02x:%02x:%02x:%02x:%02x:%02x ip=%s irq=%s\n", m[0], m[1], m[2], m[3],
            m[4], m[5], ip, irq);
    kinfo("net: gw=%s link=%s udp echo=7 discard=9\n", gw, nic.link_up ? "up" : "down");
    return true;
}

static void wait_ticks(uint32_t n)
{
    uint32_t start = pit_ticks();
    while (pit_ticks() - start < n)
        cpu_idle();
}

void kmain(uint32_t magic, const struct multiboot_info *mbi)
{
    serial_init();
    copy_cmdline(magic, mbi);
    kprintf("LVMM I/O engine %s (build %s)\n", IOENGINE_VERSION, BUILD_ID);
    cmdline_parse(boot_cmdline, &boot_options);
    kprint_set_quiet(boot_options.quiet);
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        kprintf("boot: unexpected magic 0x%08x, no multiboot info\n", magic);
    kinfo("cmdline: %s\n", boot_cmdline);
    kinfo("kernel: 0x%08x-0x%08x", (uint32_t)__kernel_start, (uint32_t)__kernel_end);
    uint32_t mem_top = 0;
    if (magic == MULTIBOOT_BOOTLOADER_MAGIC && (mbi->flags & MULTIBOOT_INFO_MEMORY)) {
        kinfo(" mem_upper=%u KiB", mbi->mem_upper);
        mem_top = 0x100000 + mbi->mem_upper * 1024;
    }
    kinfo("\n");

    interrupts_install();
    unsigned hz = pit_start(boot_options.hz);
    if (hz != boot_options.hz)
        kprintf("timer: hz=%u out of range, using %u\n", boot_options.hz, hz);
    kinfo("timer: pit %u Hz\n", hz);

    bool net = start_network();
    cpu_sti();
    kprintf(net ? "ready\n" : "ready (no network)\n");

    if (boot_options.fault[0]) {
        wait_ticks(FAULT_DELAY_TICKS);
        fault_inject(boot_options.fault);
    }
    if (strcmp(boot_options.workload, "compute") == 0)
        compute_run();
    if (strcmp(boot_options.workload, "sti-edge") == 0) {
        sti_edge_run(STI_EDGE_CALLS);
        kprintf("sti-edge done\n");
    }
    if (strcmp(boot_options.workload, "rep-load") == 0) {
        for (unsigned i = 0; i < 8; i++) {
            wait_ticks(1);
            rep_load_copy();
        }
        kprintf("rep-load done\n");
    }
    if (net && boot_options.link_id)
        delivery_start(boot_options.link_id, boot_options.capacity_mbps, boot_options.testctl,
                       mem_top);

    for (;;) {
        if (!delivery_busy())
            cpu_idle();
        if (net && nic.polled)
            e1000_poll();
        delivery_poll();
    }
}
