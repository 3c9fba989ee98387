/* Two-level 32-bit paging (Intel SDM vol. 3, 4.3). */
#include "arch/paging.h"

#include <stdint.h>

#include "arch/cpu.h"
#include "arch/gdt.h"

#define PTE_PRESENT 0x001
#define PTE_WRITE   0x002
#define CR0_PG      0x80000000u
#define PAGE_SIZE   4096
#define ENTRIES     1024

static uint32_t page_directory[ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint32_t first_page_table[ENTRIES] __attribute__((aligned(PAGE_SIZE)));

void paging_enable_null_guard(void)
{
    for (uint32_t i = 0; i < ENTRIES; i++)
        first_page_table[i] = i == 0 ? 0 : (i * PAGE_SIZE) | PTE_PRESENT | PTE_WRITE;
    page_directory[0] = (uint32_t)first_page_table | PTE_PRESENT | PTE_WRITE;
    write_cr3((uint32_t)page_directory);
    gdt_set_df_cr3((uint32_t)page_directory);   /* the #DF task must see the same mapping */
    write_cr0(read_cr0() | CR0_PG);
}
