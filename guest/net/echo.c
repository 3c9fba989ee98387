#include "net/echo.h"

#include "drivers/e1000.h"
#include "kernel/kprintf.h"
#include "lib/string.h"
#include "net/netif.h"
#include "net/udp.h"

#define STATS_QUERY "stats"

static void echo(const struct udp_datagram *d)
{
    udp_reply(d, d->payload, d->len);
}

/* "stats rx=N tx=N rxo=N drop=N": rx counts every frame the NIC delivered, drop those the
 * driver or the stack discarded; tx excludes this reply. */
static void discard(const struct udp_datagram *d)
{
    size_t n = d->len;
    while (n && (d->payload[n - 1] == '\n' || d->payload[n - 1] == '\r'))
        n--;
    if (n != sizeof(STATS_QUERY) - 1 || memcmp(d->payload, STATS_QUERY, n) != 0)
        return;
    const struct e1000_stats *s = e1000_get_stats();
    char line[96];
    int len = ksnprintf(line, sizeof(line), "stats rx=%u tx=%u rxo=%u drop=%u",
                        s->rx_frames + s->rx_errors, s->tx_frames, s->rx_overruns,
                        s->rx_errors + net_drops());
    kprintf("%s\n", line);
    udp_reply(d, line, (size_t)len);
}

void echo_service_start(void)
{
    udp_listen(UDP_PORT_ECHO, echo);
    udp_listen(UDP_PORT_DISCARD, discard);
}
