#include "delivery/clock.h"

#include "arch/cpu.h"
#include "arch/pit.h"

#define PIT_INPUT_HZ 1193182u   /* 8254 input clock (Intel 8254 datasheet) */

static uint64_t tsc0;
static uint32_t tsc_per_ms = 1000000;   /* until calibrated: 1 GHz, what v86's TSC runs at */

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

void clock_init(unsigned ticks)
{
    uint32_t t = pit_ticks();
    while (pit_ticks() == t)
        cpu_idle();
    uint64_t a = rdtsc();
    t = pit_ticks();
    while (pit_ticks() - t < ticks)
        cpu_idle();
    uint64_t b = rdtsc();
    /* One tick lasts divisor / PIT_INPUT_HZ seconds, the divisor pit_start programmed. */
    uint32_t divisor = (PIT_INPUT_HZ + pit_hz() / 2) / pit_hz();
    uint64_t elapsed_us = (uint64_t)ticks * divisor * 1000000u / PIT_INPUT_HZ;
    uint64_t rate = elapsed_us ? (b - a) * 1000u / elapsed_us : 0;
    if (rate >= 1000 && rate < 0xFFFFFFFFu)
        tsc_per_ms = (uint32_t)rate;
    tsc0 = a;
}

uint64_t clock_now_ns(void)
{
    uint64_t d = rdtsc() - tsc0;
    return d / tsc_per_ms * 1000000u + (d % tsc_per_ms) * 1000000u / tsc_per_ms;
}

uint32_t clock_tsc_per_ms(void)
{
    return tsc_per_ms;
}
