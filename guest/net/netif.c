#include "net/netif.h"

#include "drivers/e1000.h"
#include "lib/string.h"
#include "net/ethernet.h"

struct netif netif;
const char *net_last_drop_reason = "none";
static uint32_t drops;

void net_init(const uint8_t mac[6], uint32_t ip, uint32_t gateway)
{
    memcpy(netif.mac, mac, 6);
    netif.ip = ip;
    netif.gateway = gateway;
    netif.netmask = 0xFFFFFF00;   /* /24, as on QEMU's user network */
}

void net_input(const uint8_t *frame, size_t len)
{
    eth_input(frame, len);
}

bool net_output(const uint8_t *frame, size_t len)
{
    return e1000_transmit(frame, len);
}

void net_output_batch_begin(void)
{
    e1000_tx_batch_begin();
}

void net_output_batch_end(void)
{
    e1000_tx_batch_end();
}

void net_drop(const char *reason)
{
    drops++;
    net_last_drop_reason = reason;
}

uint32_t net_drops(void)
{
    return drops;
}

bool net_parse_ipv4(const char *s, uint32_t *out)
{
    uint32_t ip = 0;
    for (int octet = 0; octet < 4; octet++) {
        if (*s < '0' || *s > '9')
            return false;
        uint32_t v = 0;
        int digits = 0;
        for (; *s >= '0' && *s <= '9'; s++, digits++)
            v = v * 10 + (uint32_t)(*s - '0');
        if (v > 255 || digits > 3)
            return false;
        ip = ip << 8 | v;
        if (octet < 3 && *s++ != '.')
            return false;
    }
    if (*s != '\0')
        return false;
    *out = ip;
    return true;
}
