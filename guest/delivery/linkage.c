#include "delivery/linkage.h"

#include "arch/cpu.h"
#include "delivery/link_proto.h"
#include "lib/string.h"
#include "net/arp.h"
#include "net/bytes.h"
#include "net/udp.h"

#define RX_SLOTS        64
#define RX_SLOT_BYTES   256      /* commands are small; longer datagrams are malformed */
#define DEDUP_WINDOW    64       /* sequence numbers remembered below the highest seen */
#define NOTICE_SLOTS    32
#define RETRANSMIT_NS   200000000ull

struct rx_slot {
    uint16_t len;
    uint8_t mac[6];
    uint8_t data[RX_SLOT_BYTES];
};

struct cached_reply {
    uint32_t seq;
    bool valid;
    uint16_t len;
    uint8_t frame[LINK_HDR + LINK_REPLY_MAX];
};

struct notice {
    bool used;
    uint32_t seq;
    uint8_t type;
    uint16_t len;
    uint64_t next_ns;
    uint8_t payload[LINK_REPLY_MAX];
};

static struct rx_slot rx[RX_SLOTS];
static volatile unsigned rx_head, rx_tail;   /* written by the IRQ handler / the main loop */
static struct cached_reply replies[DEDUP_WINDOW];
static uint32_t hi_seq;
static uint64_t seen;       /* bit i: hi_seq - i was carried out */
static bool any_seen;
static struct notice notices[NOTICE_SLOTS];
static uint32_t out_seq, stats_seq;
static uint32_t boot;
static uint32_t gateway;
static uint8_t peer[6];
static bool peer_known;
static link_command_fn on_command;
static link_acked_fn on_acked;
static struct link_stats stats;
static uint8_t out[LINK_HDR + LINK_PAYLOAD_MAX];

static void on_datagram(const struct udp_datagram *d)
{
    unsigned next = (rx_head + 1) % RX_SLOTS;
    if (d->ip->src_ip != gateway || d->len > RX_SLOT_BYTES || next == rx_tail) {
        stats.rx_dropped++;
        return;
    }
    struct rx_slot *s = &rx[rx_head];
    s->len = (uint16_t)d->len;
    memcpy(s->mac, d->ip->src_mac, 6);
    memcpy(s->data, d->payload, d->len);
    rx_head = next;
}

void link_init(uint32_t boot_id, uint32_t gateway_ip, link_command_fn command, link_acked_fn acked)
{
    boot = boot_id;
    gateway = gateway_ip;
    on_command = command;
    on_acked = acked;
    udp_listen(LINK_PORT, on_datagram);
}

static size_t header(uint8_t *p, uint8_t type, uint32_t seq, size_t len)
{
    put_be16(p, LINK_MAGIC);
    p[2] = LINK_VERSION;
    p[3] = type;
    put_be32(p + 4, seq);
    put_be32(p + 8, boot);
    put_be16(p + 12, (uint16_t)len);
    put_be16(p + 14, 0);
    return LINK_HDR;
}

static bool send_frame(const uint8_t *frame, size_t len)
{
    if (!peer_known) {
        peer_known = arp_lookup(gateway, peer);
        if (!peer_known) {
            arp_request(gateway);
            return false;
        }
    }
    return udp_send(peer, gateway, LINK_PORT, LINK_PORT, frame, len);
}

bool link_peer_mac(uint8_t mac[6])
{
    if (!peer_known)
        peer_known = arp_lookup(gateway, peer);
    if (peer_known)
        memcpy(mac, peer, 6);
    return peer_known;
}

/* Was seq carried out already? (-1: too old to know, 1: yes, 0: no) */
static int seen_state(uint32_t seq)
{
    if (!any_seen || (int32_t)(seq - hi_seq) > 0)
        return 0;
    uint32_t back = hi_seq - seq;
    if (back >= DEDUP_WINDOW)
        return -1;
    return (seen >> back) & 1;
}

static void mark_seen(uint32_t seq)
{
    if (!any_seen) {
        any_seen = true;
        hi_seq = seq;
        seen = 1;
    } else if ((int32_t)(seq - hi_seq) > 0) {
        uint32_t shift = seq - hi_seq;
        seen = shift >= 64 ? 0 : seen << shift;
        seen |= 1;
        hi_seq = seq;
    } else {
        seen |= 1ull << (hi_seq - seq);
    }
}

static void command(uint8_t type, uint32_t seq, const uint8_t *payload, size_t len)
{
    int state = seen_state(seq);
    if (state != 0) {
        struct cached_reply *c = &replies[seq % DEDUP_WINDOW];
        stats.duplicates++;
        if (state > 0 && c->valid && c->seq == seq)
            send_frame(c->frame, c->len);
        return;
    }
    mark_seen(seq);
    stats.commands++;
    struct cached_reply *c = &replies[seq % DEDUP_WINDOW];
    int r = on_command(type, payload, len, c->frame + LINK_HDR);
    size_t plen;
    if (r >= 0) {
        plen = (size_t)r;
        header(c->frame, LINK_ACK, seq, plen);
    } else {
        plen = 4;
        put_be16(c->frame + LINK_HDR, (uint16_t)-r);
        put_be16(c->frame + LINK_HDR + 2, type);
        header(c->frame, LINK_NACK, seq, plen);
    }
    c->seq = seq;
    c->len = (uint16_t)(LINK_HDR + plen);
    c->valid = true;
    send_frame(c->frame, c->len);
}

static void acked(uint32_t seq, const uint8_t *payload, size_t len)
{
    for (unsigned i = 0; i < NOTICE_SLOTS; i++) {
        struct notice *n = &notices[i];
        if (n->used && n->seq == seq) {
            n->used = false;
            on_acked(n->type, payload, len);
            return;
        }
    }
}

static void serve(const struct rx_slot *s)
{
    const uint8_t *p = s->data;
    if (s->len < LINK_HDR || get_be16(p) != LINK_MAGIC || p[2] != LINK_VERSION ||
        LINK_HDR + get_be16(p + 12) > s->len) {
        stats.malformed++;
        return;
    }
    if (get_be32(p + 8) != boot) {
        stats.stale++;   /* meant for an earlier boot of this engine */
        return;
    }
    if (!peer_known) {
        memcpy(peer, s->mac, 6);
        peer_known = true;
    }
    uint8_t type = p[3];
    uint32_t seq = get_be32(p + 4);
    size_t len = get_be16(p + 12);
    if (type == LINK_ACK || type == LINK_NACK)
        acked(seq, p + LINK_HDR, len);
    else
        command(type, seq, p + LINK_HDR, len);
}

static void transmit_notice(struct notice *n, uint64_t now_ns)
{
    /* HELLO carries the engine's clock for the node's time offset: fresh on every copy. */
    if (n->type == LINK_HELLO && n->len >= LINK_HELLO_NOW_AT + 8) {
        uint64_t us = now_ns / 1000;
        put_be32(n->payload + LINK_HELLO_NOW_AT, (uint32_t)(us >> 32));
        put_be32(n->payload + LINK_HELLO_NOW_AT + 4, (uint32_t)us);
    }
    header(out, n->type, n->seq, n->len);
    memcpy(out + LINK_HDR, n->payload, n->len);
    send_frame(out, LINK_HDR + n->len);
}

void link_poll(uint64_t now_ns)
{
    while (rx_tail != rx_head) {
        serve(&rx[rx_tail]);
        rx_tail = (rx_tail + 1) % RX_SLOTS;
    }
    for (unsigned i = 0; i < NOTICE_SLOTS; i++) {
        struct notice *n = &notices[i];
        if (n->used && now_ns >= n->next_ns) {
            stats.retransmits++;
            n->next_ns = now_ns + RETRANSMIT_NS;
            transmit_notice(n, now_ns);
        }
    }
}

bool link_pending_input(void)
{
    return rx_tail != rx_head;
}

bool link_notify(uint8_t type, const uint8_t *payload, size_t len, uint64_t now_ns)
{
    if (len > LINK_REPLY_MAX)
        return false;
    for (unsigned i = 0; i < NOTICE_SLOTS; i++) {
        struct notice *n = &notices[i];
        if (n->used)
            continue;
        *n = (struct notice){ .used = true, .seq = ++out_seq, .type = type, .len = (uint16_t)len,
                              .next_ns = now_ns + RETRANSMIT_NS };
        memcpy(n->payload, payload, len);
        transmit_notice(n, now_ns);
        return true;
    }
    stats.notices_dropped++;
    return false;
}

void link_send_stats(const uint8_t *payload, size_t len)
{
    if (len > LINK_PAYLOAD_MAX)
        return;
    header(out, LINK_STATS, ++stats_seq, len);
    memcpy(out + LINK_HDR, payload, len);
    send_frame(out, LINK_HDR + len);
}

const struct link_stats *link_get_stats(void)
{
    return &stats;
}
