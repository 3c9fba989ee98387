/* Paging is off in normal operation; this exists for fault=pagefault. */
#ifndef ARCH_PAGING_H
#define ARCH_PAGING_H

/* Identity-map the first 4 MiB with 4 KiB pages, leaving page 0 (the null page) unmapped,
 * and turn paging on. Nothing above 4 MiB is mapped (the kernel image ends below it). */
void paging_enable_null_guard(void);

#endif
