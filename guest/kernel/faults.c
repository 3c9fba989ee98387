#include "kernel/faults.h"

#include <stdint.h>

#include "arch/cpu.h"
#include "arch/idt.h"
#include "arch/paging.h"
#include "drivers/e1000.h"
#include "kernel/kprintf.h"
#include "lib/string.h"
#include "net/arp.h"
#include "net/netif.h"

/* Beyond the RAM of any VM we run (and below the e1000 BAR on QEMU). */
#define WILD_DMA_ADDRESS 0xF0000000u
#define IDT_GARBAGE      0xDEADBEEFu

/* Empty IDT: the exception cannot be delivered, nor the #DF that follows -> triple fault. */
static void fault_triple(void)
{
    cpu_cli();
    idt_load_empty();
    __asm__ volatile("ud2");
}

static void fault_irqoff_hang(void)
{
    __asm__ volatile("cli; 1: jmp 1b");
}

/* Every gate becomes garbage; the next timer interrupt cannot be delivered. */
static void fault_idt_overwrite(void)
{
    cpu_cli();
    uint32_t *idt = (uint32_t *)idt_table();
    for (int i = 0; i < IDT_ENTRIES * 2; i++)
        idt[i] = IDT_GARBAGE;
    cpu_sti();
    for (;;)
        cpu_hlt();
}

/* Both ring bases point outside RAM, then a transmit makes the NIC fetch a descriptor there. */
static void fault_wild_dma(void)
{
    e1000_fault_wild_rings(WILD_DMA_ADDRESS);
    arp_request(netif.gateway);
    kprintf("fault: wild-dma rings at 0x%08x, frame queued\n", WILD_DMA_ADDRESS);
}

static void fault_pagefault(void)
{
    cpu_cli();
    paging_enable_null_guard();
    volatile uint32_t *null = (volatile uint32_t *)0;
    (void)*null;
}

static void fault_ud(void)
{
    __asm__ volatile("ud2");
}

/* Loading a selector beyond the GDT limit raises #GP(selector). */
static void fault_gp(void)
{
    __asm__ volatile("mov %0, %%ds" : : "r"(0x1238) : "memory");
}

static void fault_divide(void)
{
    __asm__ volatile("xor %%ecx, %%ecx; div %%ecx" : : "a"(1), "d"(0) : "ecx");
}

static const struct {
    const char *name;
    void (*inject)(void);
} faults[] = {
    { "triple", fault_triple },
    { "irqoff-hang", fault_irqoff_hang },
    { "idt-overwrite", fault_idt_overwrite },
    { "wild-dma", fault_wild_dma },
    { "pagefault", fault_pagefault },
    { "ud", fault_ud },
    { "gp", fault_gp },
    { "divide", fault_divide },
};

#define NFAULTS (sizeof(faults) / sizeof(faults[0]))

bool fault_is_known(const char *name)
{
    for (unsigned i = 0; i < NFAULTS; i++)
        if (strcmp(faults[i].name, name) == 0)
            return true;
    return false;
}

const char *fault_names(void)
{
    return "triple, irqoff-hang, idt-overwrite, wild-dma, pagefault, ud, gp, divide";
}

void fault_inject(const char *name)
{
    for (unsigned i = 0; i < NFAULTS; i++) {
        if (strcmp(faults[i].name, name) == 0) {
            kprintf("fault: %s\n", name);
            faults[i].inject();
            return;
        }
    }
}
