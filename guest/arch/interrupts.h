/* Interrupt entry: the register frame every ISR stub builds, and IRQ handler registration. */
#ifndef ARCH_INTERRUPTS_H
#define ARCH_INTERRUPTS_H

#include <stdint.h>

#define IRQ_BASE_VECTOR 32   /* PIC master remapped to 0x20, slave to 0x28 */
#define IRQ_COUNT 16

/* Pushed by isr.S (segment registers, pusha, vector, error code) and the CPU (eip, cs, eflags). */
struct interrupt_frame {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
    uint32_t vector, error_code;
    uint32_t eip, cs, eflags;
};

typedef void (*irq_handler_t)(void);

void interrupts_install(void);                     /* IDT, PIC remap, double-fault task */
void irq_register(unsigned irq, irq_handler_t fn); /* also unmasks the line */

/* Called from isr.S for every vector. */
void interrupt_dispatch(struct interrupt_frame *f);

#endif
