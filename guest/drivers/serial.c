/* 16550A UART on COM1 (National Semiconductor PC16550D datasheet), 115200 8N1, no interrupts. */
#include "drivers/serial.h"

#include "arch/io.h"

#define COM1 0x3F8
#define UART_THR 0   /* transmit holding register (DLAB = 0) */
#define UART_DLL 0   /* divisor latch low (DLAB = 1) */
#define UART_IER 1   /* interrupt enable (DLAB = 0) */
#define UART_DLM 1   /* divisor latch high (DLAB = 1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5

#define LCR_8N1   0x03
#define LCR_DLAB  0x80
#define FCR_ENABLE_CLEAR_14 0xC7   /* FIFO on, clear both, 14-byte trigger */
#define MCR_DTR_RTS 0x03
#define LSR_THRE  0x20             /* transmit holding register empty */

/* A missing UART must not hang the kernel: give up waiting after this many polls. */
#define THRE_POLL_LIMIT 100000

void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DLL, 1);      /* 115200 baud */
    outb(COM1 + UART_DLM, 0);
    outb(COM1 + UART_LCR, LCR_8N1);
    outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR_14);
    outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

void serial_putc(char c)
{
    for (int i = 0; i < THRE_POLL_LIMIT && !(inb(COM1 + UART_LSR) & LSR_THRE); i++)
        ;
    outb(COM1 + UART_THR, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        serial_putc(s[i]);
}
