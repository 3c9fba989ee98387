/* 8259A PIC, cascaded master/slave (Intel 8259A datasheet; OSDev "8259 PIC"). */
#include "arch/pic.h"

#include "arch/io.h"

#define PIC1_COMMAND 0x20
#define PIC1_DATA    0x21
#define PIC2_COMMAND 0xA0
#define PIC2_DATA    0xA1

#define ICW1_ICW4    0x01   /* ICW4 follows */
#define ICW1_INIT    0x10
#define ICW4_8086    0x01
#define OCW2_EOI     0x20   /* non-specific end of interrupt */
#define OCW3_READ_ISR 0x0B

#define PIC_CASCADE_IRQ 2

void pic_remap(unsigned master_vector, unsigned slave_vector)
{
    outb(PIC1_COMMAND, ICW1_INIT | ICW1_ICW4); io_wait();
    outb(PIC2_COMMAND, ICW1_INIT | ICW1_ICW4); io_wait();
    outb(PIC1_DATA, master_vector); io_wait();            /* ICW2: vector offset */
    outb(PIC2_DATA, slave_vector); io_wait();
    outb(PIC1_DATA, 1 << PIC_CASCADE_IRQ); io_wait();     /* ICW3: slave on IRQ2 */
    outb(PIC2_DATA, PIC_CASCADE_IRQ); io_wait();          /* ICW3: slave identity */
    outb(PIC1_DATA, ICW4_8086); io_wait();
    outb(PIC2_DATA, ICW4_8086); io_wait();
    outb(PIC1_DATA, 0xFF & ~(1 << PIC_CASCADE_IRQ));      /* everything masked but the cascade */
    outb(PIC2_DATA, 0xFF);
}

void pic_unmask(unsigned irq)
{
    uint16_t port = irq < 8 ? PIC1_DATA : PIC2_DATA;
    outb(port, inb(port) & ~(1 << (irq & 7)));
}

void pic_send_eoi(unsigned irq)
{
    if (irq >= 8)
        outb(PIC2_COMMAND, OCW2_EOI);
    outb(PIC1_COMMAND, OCW2_EOI);
}

/* IRQ7/IRQ15 fire spuriously when a request goes away before the CPU acknowledges it: the
 * in-service bit is then clear and no EOI is owed (except to the master for a slave spurious). */
bool pic_is_spurious(unsigned irq)
{
    if (irq != 7 && irq != 15)
        return false;
    uint16_t cmd = irq == 7 ? PIC1_COMMAND : PIC2_COMMAND;
    outb(cmd, OCW3_READ_ISR);
    if (inb(cmd) & 0x80)
        return false;
    if (irq == 15)
        outb(PIC1_COMMAND, OCW2_EOI);
    return true;
}
