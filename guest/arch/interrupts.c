/* Routes every vector: CPU exceptions go to the crash report, IRQs to registered handlers. */
#include "arch/interrupts.h"

#include <stddef.h>

#include "arch/gdt.h"
#include "arch/idt.h"
#include "arch/pic.h"
#include "kernel/crash.h"

#define EXCEPTION_DOUBLE_FAULT 8

extern void (*const isr_stub_table[IRQ_BASE_VECTOR + IRQ_COUNT])(void);
extern void double_fault_task_entry(void);

static irq_handler_t irq_handlers[IRQ_COUNT];
static uint32_t unhandled_irqs;

void interrupts_install(void)
{
    for (unsigned v = 0; v < IRQ_BASE_VECTOR + IRQ_COUNT; v++)
        idt_set_interrupt_gate(v, isr_stub_table[v]);
    /* #DF through a task gate: it gets a fresh stack even when the kernel stack is gone. */
    gdt_init_tasks(double_fault_task_entry);
    idt_set_task_gate(EXCEPTION_DOUBLE_FAULT, GDT_DF_TSS);
    idt_load();
    pic_remap(IRQ_BASE_VECTOR, IRQ_BASE_VECTOR + 8);
}

void irq_register(unsigned irq, irq_handler_t fn)
{
    if (irq >= IRQ_COUNT)
        return;
    irq_handlers[irq] = fn;
    pic_unmask(irq);
}

void interrupt_dispatch(struct interrupt_frame *f)
{
    if (f->vector < IRQ_BASE_VECTOR)
        crash_report_exception(f);   /* does not return */

    unsigned irq = f->vector - IRQ_BASE_VECTOR;
    if (pic_is_spurious(irq))
        return;
    if (irq_handlers[irq])
        irq_handlers[irq]();
    else
        unhandled_irqs++;
    pic_send_eoi(irq);
}
