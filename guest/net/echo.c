#include "net/echo.h"

#include "drivers/e1000.h"
#include "kernel/kprintf.h"
#include "lib/string.h"
#include "net/netif.h"
#include "net/udp.h"

#define STATS_QUERY "stats"

/* Demonstration race (race=..., drivers/e1000.c): echo payloads "seq=NNNNNNNNNN:" followed by
 * bytes (seq + k) & 0xff (k: offset in the payload) are checked, and corruption reported. */
#define SEQ_PREFIX_LEN 15

static void check_sequence(const struct udp_datagram *d)
{
    const uint8_t *p = d->payload;
    if (d->len < SEQ_PREFIX_LEN || memcmp(p, "seq=", 4) != 0)
        return;
    uint32_t seq = 0;
    for (size_t k = 4; k < SEQ_PREFIX_LEN - 1; k++)
        seq = seq * 10 + (uint32_t)(p[k] - '0');
    for (size_t k = SEQ_PREFIX_LEN; k < d->len; k++) {
        if (p[k] != (uint8_t)(seq + k)) {
            kprintf("race: corrupted frame seq=%u at byte %u (rx buffer 0x%08x)\n", seq,
                    (unsigned)k, e1000_copybreak_last_buffer());
            return;
        }
    }
}

static void echo(const struct udp_datagram *d)
{
    if (e1000_copybreak_active())
        check_sequence(d);
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
