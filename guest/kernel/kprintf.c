#include "kernel/kprintf.h"

#include <stdbool.h>
#include <stdint.h>

#include "arch/cpu.h"
#include "drivers/serial.h"

#define KPRINTF_LINE_MAX 256

static bool quiet;

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_number(struct out *o, uint64_t v, unsigned base, bool upper, bool negative,
                       int width, bool left, bool zero)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    int len = n + (negative ? 1 : 0);
    if (negative && zero)
        put(o, '-');
    if (!left)
        for (; width > len; width--)
            put(o, zero ? '0' : ' ');
    if (negative && !zero)
        put(o, '-');
    while (n)
        put(o, tmp[--n]);
    if (left)
        for (; width > len; width--)
            put(o, ' ');
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        bool left = false, zero = false;
        int width = 0, longs = 0;
        for (fmt++; *fmt == '-' || *fmt == '0'; fmt++) {
            if (*fmt == '-')
                left = true;
            else
                zero = true;
        }
        for (; *fmt >= '0' && *fmt <= '9'; fmt++)
            width = width * 10 + (*fmt - '0');
        for (; *fmt == 'l'; fmt++)
            longs++;
        if (left)
            zero = false;

        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = longs >= 2 ? va_arg(ap, int64_t) : va_arg(ap, int32_t);
            bool neg = v < 0;
            put_number(&o, neg ? -(uint64_t)v : (uint64_t)v, 10, false, neg, width, left, zero);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = longs >= 2 ? va_arg(ap, uint64_t) : va_arg(ap, uint32_t);
            put_number(&o, v, *fmt == 'u' ? 10 : 16, *fmt == 'X', false, width, left, zero);
            break;
        }
        case 'p':
            put(&o, '0');
            put(&o, 'x');
            put_number(&o, (uintptr_t)va_arg(ap, void *), 16, false, false, 8, false, true);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int len = 0;
            while (s[len])
                len++;
            if (!left)
                for (; width > len; width--)
                    put(&o, ' ');
            for (int i = 0; i < len; i++)
                put(&o, s[i]);
            if (left)
                for (; width > len; width--)
                    put(&o, ' ');
            break;
        }
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case '%':
            put(&o, '%');
            break;
        case '\0':
            fmt--;   /* a lone '%' at the end: stop at the terminator */
            break;
        default:
            put(&o, '%');
            put(&o, *fmt);
            break;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void kvprintf(const char *fmt, va_list ap)
{
    char line[KPRINTF_LINE_MAX];
    int n = kvsnprintf(line, sizeof(line), fmt, ap);
    if (n >= (int)sizeof(line))
        n = sizeof(line) - 1;
    /* One call, one uninterrupted write: IRQ-context output never splits a line. */
    uint32_t flags = irq_save();
    serial_write(line, (size_t)n);
    irq_restore(flags);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

void kinfo(const char *fmt, ...)
{
    if (quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

void kprint_set_quiet(int q)
{
    quiet = q != 0;
}
