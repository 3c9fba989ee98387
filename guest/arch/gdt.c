/* The GDT is static data so boot.S can load it with one lgdt before running any C code. */
#include "arch/gdt.h"

#include <stddef.h>

#include "arch/cpu.h"

/* Descriptor access bytes (Intel SDM vol. 3, 3.4.5 "Segment Descriptors"). */
#define SEG_PRESENT      0x80
#define SEG_CODE_DATA    0x10   /* S = 1 */
#define SEG_CODE_READ    0x0A   /* execute/read */
#define SEG_DATA_WRITE   0x02   /* read/write */
#define SEG_TSS32_AVAIL  0x09   /* 32-bit TSS (available) */
#define GRAN_4K_32BIT    0xC0   /* G = 1, D/B = 1 */

#define FLAT_DESCRIPTOR(access) \
    (0x0000FFFFull | ((uint64_t)(access) << 40) | ((uint64_t)(GRAN_4K_32BIT | 0x0F) << 48))

static uint64_t gdt[5] __attribute__((aligned(8))) = {
    0,
    FLAT_DESCRIPTOR(SEG_PRESENT | SEG_CODE_DATA | SEG_CODE_READ),   /* 0x08 kernel code */
    FLAT_DESCRIPTOR(SEG_PRESENT | SEG_CODE_DATA | SEG_DATA_WRITE),  /* 0x10 kernel data */
    0,                                                             /* 0x18 main TSS */
    0,                                                             /* 0x20 double-fault TSS */
};

struct descriptor_pointer gdt_pointer = { sizeof(gdt) - 1, (uint32_t)gdt };

struct tss main_tss __attribute__((aligned(128)));
struct tss df_tss __attribute__((aligned(128)));

/* The double-fault task runs on its own stack, so a blown kernel stack can still be reported. */
static uint8_t df_stack[8192] __attribute__((aligned(16)));

static uint64_t tss_descriptor(struct tss *t)
{
    uint32_t base = (uint32_t)t;
    uint32_t limit = sizeof(*t) - 1;
    return (uint64_t)(limit & 0xFFFF) | ((uint64_t)(base & 0xFFFFFF) << 16) |
           ((uint64_t)(SEG_PRESENT | SEG_TSS32_AVAIL) << 40) |
           ((uint64_t)((limit >> 16) & 0x0F) << 48) | ((uint64_t)(base >> 24) << 56);
}

void gdt_init_tasks(void (*df_entry)(void))
{
    main_tss.ss0 = GDT_KERNEL_DS;
    main_tss.iomap_base = sizeof(struct tss);   /* no I/O permission bitmap */

    df_tss.eip = (uint32_t)df_entry;
    df_tss.esp = (uint32_t)(df_stack + sizeof(df_stack));
    df_tss.eflags = 0x2;                         /* reserved bit 1; IF = 0 */
    df_tss.cs = GDT_KERNEL_CS;
    df_tss.ds = df_tss.es = df_tss.fs = df_tss.gs = df_tss.ss = GDT_KERNEL_DS;
    df_tss.cr3 = read_cr3();
    df_tss.iomap_base = sizeof(struct tss);

    gdt[GDT_MAIN_TSS / 8] = tss_descriptor(&main_tss);
    gdt[GDT_DF_TSS / 8] = tss_descriptor(&df_tss);
    /* A task switch saves the interrupted state into the TSS that TR names. */
    __asm__ volatile("ltr %w0" : : "r"(GDT_MAIN_TSS));
}

void gdt_set_df_cr3(uint32_t cr3)
{
    df_tss.cr3 = cr3;
}
