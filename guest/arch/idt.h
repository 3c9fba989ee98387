/* Interrupt descriptor table. */
#ifndef ARCH_IDT_H
#define ARCH_IDT_H

#include <stdint.h>

#define IDT_ENTRIES 256

void idt_set_interrupt_gate(unsigned vector, void (*handler)(void));
void idt_set_task_gate(unsigned vector, uint16_t tss_selector);
void idt_load(void);

/* For fault injection only (kernel/faults.c): the live table and an empty-table load. */
uint64_t *idt_table(void);
void idt_load_empty(void);

#endif
