/* Formatted output to the serial console. Each call's output is written atomically (IRQs off). */
#ifndef KERNEL_KPRINTF_H
#define KERNEL_KPRINTF_H

#include <stdarg.h>
#include <stddef.h>

/* Supports %d %i %u %x %X %p %s %c %%, flags '-' and '0', a field width, and 'l'/'ll'. */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Informational output, suppressed by the `quiet` cmdline option. */
void kinfo(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kprint_set_quiet(int quiet);

#endif
