/* Small wrappers for privileged x86 instructions and control registers. */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <stdint.h>

#define EFLAGS_IF 0x200u

static inline void cpu_cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void cpu_sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cpu_hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
/* sti takes effect after the next instruction, so no interrupt can slip in before hlt. */
static inline void cpu_idle(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static inline void compiler_barrier(void) { __asm__ volatile("" ::: "memory"); }

static inline uint32_t read_eflags(void)
{
    uint32_t f;
    __asm__ volatile("pushfl; popl %0" : "=r"(f));
    return f;
}

/* Disable interrupts and return the previous state, for short critical sections. */
static inline uint32_t irq_save(void)
{
    uint32_t f = read_eflags();
    cpu_cli();
    return f;
}

static inline void irq_restore(uint32_t flags)
{
    if (flags & EFLAGS_IF)
        cpu_sti();
}

#define DEFINE_READ_CR(n)                                          \
    static inline uint32_t read_cr##n(void)                        \
    {                                                              \
        uint32_t v;                                                \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));          \
        return v;                                                  \
    }
DEFINE_READ_CR(0)
DEFINE_READ_CR(2)
DEFINE_READ_CR(3)
DEFINE_READ_CR(4)
#undef DEFINE_READ_CR

static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }

/* Stop this CPU for good: used after a crash report and by unrecoverable errors. */
static inline __attribute__((noreturn)) void cpu_halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}

#endif
