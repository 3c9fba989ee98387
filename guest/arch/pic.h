/* 8259A programmable interrupt controller pair. */
#ifndef ARCH_PIC_H
#define ARCH_PIC_H

#include <stdbool.h>

void pic_remap(unsigned master_vector, unsigned slave_vector); /* all lines left masked */
void pic_unmask(unsigned irq);
void pic_send_eoi(unsigned irq);
bool pic_is_spurious(unsigned irq);

#endif
