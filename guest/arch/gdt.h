/* Global descriptor table: flat ring-0 code/data plus two TSSs (main task, double-fault task). */
#ifndef ARCH_GDT_H
#define ARCH_GDT_H

#include <stdint.h>

#define GDT_KERNEL_CS  0x08
#define GDT_KERNEL_DS  0x10
#define GDT_MAIN_TSS   0x18
#define GDT_DF_TSS     0x20

/* 32-bit TSS (Intel SDM vol. 3, 7.2.1 "Task-State Segment"). */
struct tss {
    uint32_t prev_task;
    uint32_t esp0, ss0, esp1, ss1, esp2, ss2;
    uint32_t cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs;
    uint32_t ldt;
    uint16_t trap, iomap_base;
} __attribute__((packed));

/* Operand of lgdt/lidt. */
struct descriptor_pointer {
    uint16_t limit;
    uint32_t base;
} __attribute__((packed));

/* Loaded by boot.S before anything else; see gdt.c. */
extern struct descriptor_pointer gdt_pointer;

extern struct tss main_tss;
extern struct tss df_tss;

/* Fill in both TSS descriptors, load TR with the main TSS; the double-fault task starts at entry. */
void gdt_init_tasks(void (*df_entry)(void));
/* The double-fault task loads CR3 from its TSS: call after changing CR3. */
void gdt_set_df_cr3(uint32_t cr3);

#endif
