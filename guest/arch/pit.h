/* 8253/8254 programmable interval timer: the periodic system tick. */
#ifndef ARCH_PIT_H
#define ARCH_PIT_H

#include <stdint.h>

#define PIT_HZ_MIN 19      /* the 16-bit divisor of the 1.193182 MHz clock cannot go slower */
#define PIT_HZ_MAX 10000

/* Program channel 0 for a periodic IRQ0 at hz (clamped to the range above); returns hz used. */
unsigned pit_start(unsigned hz);
uint32_t pit_ticks(void);
unsigned pit_hz(void);

#endif
