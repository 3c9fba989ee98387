/* Crash report on the serial console for CPU exceptions, then halt. */
#ifndef KERNEL_CRASH_H
#define KERNEL_CRASH_H

#include <stdint.h>

#include "arch/interrupts.h"

/* First line: "*** GUEST CRASH: #PF (vector 14) err=0x00000002 ***", then registers. */
__attribute__((noreturn)) void crash_report_exception(const struct interrupt_frame *f);
/* Runs as the double-fault task; the faulting state is in main_tss. */
__attribute__((noreturn)) void crash_report_double_fault(uint32_t error_code);

#endif
