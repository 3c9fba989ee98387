#include "kernel/cmdline.h"

#include "kernel/faults.h"
#include "kernel/kprintf.h"
#include "lib/string.h"
#include "net/netif.h"

#define DEFAULT_IP      0x0A00020F   /* 10.0.2.15 */
#define DEFAULT_GATEWAY 0x0A000202   /* 10.0.2.2 */
#define DEFAULT_HZ      100

static bool parse_uint(const char *s, unsigned *out)
{
    unsigned v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 100000000)
            return false;
        v = v * 10 + (unsigned)(*s - '0');
    }
    *out = v;
    return true;
}

static void copy_name(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n >= CMDLINE_NAME_MAX)
        n = CMDLINE_NAME_MAX - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void apply(struct boot_options *o, const char *key, const char *value, bool first)
{
    if (!value) {
        if (strcmp(key, "quiet") == 0)
            o->quiet = true;
        else if (strcmp(key, "testctl") == 0)
            o->testctl = true;
        else if (!first)
            kprintf("cmdline: ignoring unknown flag '%s'\n", key);
        return;
    }
    if (strcmp(key, "ip") == 0 || strcmp(key, "gw") == 0) {
        uint32_t *dst = key[0] == 'i' ? &o->ip : &o->gateway;
        if (!net_parse_ipv4(value, dst))
            kprintf("cmdline: bad address %s=%s, keeping the default\n", key, value);
    } else if (strcmp(key, "hz") == 0) {
        if (!parse_uint(value, &o->hz) || o->hz == 0) {
            kprintf("cmdline: bad hz=%s, using %u\n", value, DEFAULT_HZ);
            o->hz = DEFAULT_HZ;
        }
    } else if (strcmp(key, "link") == 0 || strcmp(key, "capacity") == 0) {
        unsigned v;
        if (!parse_uint(value, &v))
            kprintf("cmdline: bad %s=%s, ignored\n", key, value);
        else if (key[0] == 'l')
            o->link_id = v;
        else
            o->capacity_mbps = v;
    } else if (strcmp(key, "fault") == 0) {
        if (fault_is_known(value))
            copy_name(o->fault, value);
        else
            kprintf("cmdline: unknown fault=%s (known: %s)\n", value, fault_names());
    } else if (strcmp(key, "race") == 0) {
        if (strcmp(value, "rdt-early") == 0 || strcmp(value, "copybreak") == 0)
            copy_name(o->race, value);
        else
            kprintf("cmdline: unknown race=%s (known: rdt-early, copybreak)\n", value);
    } else if (strcmp(key, "workload") == 0) {
        if (strcmp(value, "compute") == 0 || strcmp(value, "sti-edge") == 0 || strcmp(value, "rep-load") == 0)
            copy_name(o->workload, value);
        else
            kprintf("cmdline: unknown workload=%s (known: compute, sti-edge, rep-load)\n", value);
    } else {
        kprintf("cmdline: ignoring unknown option '%s'\n", key);
    }
}

void cmdline_parse(const char *cmdline, struct boot_options *o)
{
    *o = (struct boot_options){ .ip = DEFAULT_IP, .gateway = DEFAULT_GATEWAY, .hz = DEFAULT_HZ };
    char word[CMDLINE_MAX];
    bool first = true;
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        size_t n = 0;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            if (n + 1 < sizeof(word))
                word[n++] = *p;
            p++;
        }
        word[n] = '\0';
        char *eq = word;
        while (*eq && *eq != '=')
            eq++;
        const char *value = NULL;
        if (*eq == '=') {
            *eq = '\0';
            value = eq + 1;
        }
        apply(o, word, value, first);
        first = false;
    }
}
