/* 8254 PIT channel 0 in mode 2 (rate generator) drives IRQ0 (Intel 8254 datasheet). */
#include "arch/pit.h"

#include "arch/interrupts.h"
#include "arch/io.h"

#define PIT_CHANNEL0      0x40
#define PIT_COMMAND       0x43
#define PIT_INPUT_HZ      1193182u
#define PIT_CMD_CH0_LOHI_MODE2 0x34   /* channel 0, lobyte/hibyte access, mode 2, binary */
#define PIT_IRQ           0

static volatile uint32_t ticks;
static unsigned tick_hz;

static void pit_irq(void)
{
    ticks++;
}

unsigned pit_start(unsigned hz)
{
    if (hz < PIT_HZ_MIN)
        hz = PIT_HZ_MIN;
    if (hz > PIT_HZ_MAX)
        hz = PIT_HZ_MAX;
    uint32_t divisor = (PIT_INPUT_HZ + hz / 2) / hz;
    tick_hz = hz;
    outb(PIT_COMMAND, PIT_CMD_CH0_LOHI_MODE2);
    outb(PIT_CHANNEL0, divisor & 0xFF);
    outb(PIT_CHANNEL0, divisor >> 8);
    irq_register(PIT_IRQ, pit_irq);
    return hz;
}

uint32_t pit_ticks(void)
{
    return ticks;
}

unsigned pit_hz(void)
{
    return tick_hz;
}
