/* 10 instructions per inner step at -O2: ~26 million per chunk, ~420 million in all. Interrupts stay on; the
 * result depends only on the code, never on timing, so every run prints the same sums. */
#include "kernel/compute.h"

#include <stdint.h>

#include "kernel/kprintf.h"

#define COMPUTE_WORDS 16384            /* 64 KiB working set */
#define COMPUTE_PASSES_PER_CHUNK 160
#define FNV_OFFSET_BASIS 2166136261u
#define FNV_PRIME        16777619u

static uint32_t compute_buffer[COMPUTE_WORDS];

static uint32_t rotl(uint32_t x, unsigned r) { return x << r | x >> (32 - r); }

void compute_run(void)
{
    uint32_t x = 0x12345678;
    for (unsigned i = 0; i < COMPUTE_WORDS; i++) {
        x = x * 1664525u + 1013904223u;   /* Numerical Recipes LCG */
        compute_buffer[i] = x;
    }
    kprintf("compute start chunks=%u words=%u passes=%u\n", COMPUTE_CHUNKS, COMPUTE_WORDS,
            COMPUTE_PASSES_PER_CHUNK);
    uint32_t h = FNV_OFFSET_BASIS;
    for (unsigned chunk = 1; chunk <= COMPUTE_CHUNKS; chunk++) {
        for (unsigned pass = 0; pass < COMPUTE_PASSES_PER_CHUNK; pass++) {
            for (unsigned i = 0; i < COMPUTE_WORDS; i++) {
                uint32_t w = compute_buffer[i];
                h = (h ^ w) * FNV_PRIME;
                compute_buffer[i] = w + rotl(h, 7);
            }
        }
        kprintf("compute chunk %u/%u sum=0x%08x\n", chunk, COMPUTE_CHUNKS, h);
    }
    kprintf("compute done sum=0x%08x\n", h);
}
