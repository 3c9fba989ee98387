#include "arch/idt.h"

#include "arch/gdt.h"

/* Gate type/attribute bytes (Intel SDM vol. 3, 6.11 "IDT Descriptors"). */
#define GATE_PRESENT       0x80
#define GATE_INTERRUPT32   0x0E   /* clears IF on entry: handlers never nest */
#define GATE_TASK          0x05

static uint64_t idt[IDT_ENTRIES] __attribute__((aligned(8)));

void idt_set_interrupt_gate(unsigned vector, void (*handler)(void))
{
    uint32_t off = (uint32_t)handler;
    idt[vector] = (uint64_t)(off & 0xFFFF) | ((uint64_t)GDT_KERNEL_CS << 16) |
                  ((uint64_t)(GATE_PRESENT | GATE_INTERRUPT32) << 40) |
                  ((uint64_t)(off >> 16) << 48);
}

void idt_set_task_gate(unsigned vector, uint16_t tss_selector)
{
    idt[vector] = ((uint64_t)tss_selector << 16) | ((uint64_t)(GATE_PRESENT | GATE_TASK) << 40);
}

void idt_load(void)
{
    struct descriptor_pointer p = { sizeof(idt) - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" : : "m"(p));
}

uint64_t *idt_table(void)
{
    return idt;
}

void idt_load_empty(void)
{
    struct descriptor_pointer p = { 0, 0 };
    __asm__ volatile("lidt %0" : : "m"(p));
}
