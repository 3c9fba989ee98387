/* The engine's time base: the TSC, calibrated against the PIT at boot. Under the LVMM every
 * clock advances only at sync points (PIT ticks), so "now" has the tick's resolution there;
 * on real hardware or QEMU it has the TSC's. */
#ifndef DELIVERY_CLOCK_H
#define DELIVERY_CLOCK_H

#include <stdint.h>

/* Measures the TSC rate over `ticks` PIT ticks (interrupts must be on). */
void clock_init(unsigned ticks);
/* Nanoseconds since clock_init. */
uint64_t clock_now_ns(void);
/* TSC ticks per millisecond, as calibrated (for the boot log). */
uint32_t clock_tsc_per_ms(void);

#endif
