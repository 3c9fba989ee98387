/* Ties the engine together: boot (disk, content, linkage, HELLO), the commands the node sends
 * (START, STOP, PAUSE, RESUME, SEEK, FAULT), notices (ENDED, FAILED) and periodic STATS. */
#include "delivery/engine.h"

#include "arch/cpu.h"
#include "arch/io.h"
#include "arch/pit.h"
#include "delivery/ata.h"
#include "delivery/clock.h"
#include "delivery/content.h"
#include "delivery/link_proto.h"
#include "delivery/linkage.h"
#include "delivery/sched.h"
#include "delivery/stream.h"
#include "drivers/e1000.h"
#include "kernel/faults.h"
#include "kernel/kprintf.h"
#include "lib/string.h"
#include "net/arp.h"
#include "net/bytes.h"
#include "net/netif.h"

#define DEFAULT_CAPACITY_MBPS 100
#define STATS_INTERVAL_NS     250000000ull
#define STATS_HEADER          56
#define STATS_PER_PART        ((LINK_PAYLOAD_MAX - STATS_HEADER) / LINK_STATS_ENTRY)
#define POSITION_BYTES        12

static bool running;
static bool test_control;
static uint32_t capacity_kbps;
static uint64_t next_stats_ns;
static char pending_fault[32];
static bool have_gateway_mac;
static uint8_t hello[LINK_HELLO_BYTES];

static int position_reply(const struct stream *s, uint8_t *reply)
{
    struct position p = stream_position(s);
    put_be16(reply, p.seq);
    put_be16(reply + 2, 0);
    put_be32(reply + 4, p.rtptime);
    put_be32(reply + 8, p.ticks);
    return POSITION_BYTES;
}

static void play(struct stream *s, uint64_t now)
{
    s->state = STREAM_PLAYING;
    s->anchor_ns = now;
    s->anchor_ticks = s->next < s->c->record_count ? s->c->records[s->next].send_ticks : s->c->duration_ticks;
    s->sr_sent = false;
    stream_readahead(s, false);
    sched_add(s);
}

static int cmd_start(const uint8_t *p, size_t len, uint8_t *reply)
{
    if (len < 68)
        return -LINK_ERR_MALFORMED;
    uint32_t id = get_be32(p);
    if (stream_find(id))
        return -LINK_ERR_EXISTS;
    const struct content *c = content_find(get_be32(p + 4));
    if (!c)
        return -LINK_ERR_NO_CONTENT;
    if (get_be16(p + 22) != 100)
        return -LINK_ERR_BAD_ARG;   /* only normal-rate playback */
    if (!have_gateway_mac) {
        uint8_t mac[6];
        if (!link_peer_mac(mac))
            return -LINK_ERR_BAD_ARG;
        stream_set_gateway_mac(mac);
        have_gateway_mac = true;
    }
    struct stream *s = stream_alloc();
    if (!s)
        return -LINK_ERR_NO_CAPACITY;
    s->id = id;
    s->c = c;
    s->dst_ip = get_be32(p + 8);
    s->rtp_port = get_be16(p + 12);
    s->rtcp_port = get_be16(p + 14);
    s->ssrc = get_be32(p + 16);
    s->seq = get_be16(p + 20);
    s->rtp_base = get_be32(p + 24);
    memcpy(s->cname, p + 36, LINK_CNAME_MAX);
    s->cname[LINK_CNAME_MAX] = '\0';
    stream_seek(s, get_be32(p + 28), get_be32(p + 32));
    if (!stream_readahead(s, true)) {
        stream_free(s);
        return -LINK_ERR_DISK;
    }
    play(s, clock_now_ns());
    return position_reply(s, reply);
}

static int command(uint8_t type, const uint8_t *p, size_t len, uint8_t *reply)
{
    if (type == LINK_START)
        return cmd_start(p, len, reply);
    if (type == LINK_FAULT) {
        if (!test_control)
            return -LINK_ERR_FORBIDDEN;
        size_t n = len < sizeof(pending_fault) - 1 ? len : sizeof(pending_fault) - 1;
        memcpy(pending_fault, p, n);
        pending_fault[n] = '\0';
        return fault_is_known(pending_fault) ? 0 : (pending_fault[0] = '\0', -LINK_ERR_BAD_ARG);
    }
    if (len < 4)
        return -LINK_ERR_MALFORMED;
    struct stream *s = stream_find(get_be32(p));
    if (!s)
        return -LINK_ERR_NO_STREAM;
    uint64_t now = clock_now_ns();
    switch (type) {
    case LINK_STOP:
        sched_remove(s);
        stream_write_stats(s, now, reply);
        stream_free(s);
        return LINK_STATS_ENTRY;
    case LINK_PAUSE:
        if (s->state == STREAM_PLAYING) {
            sched_remove(s);
            s->state = STREAM_PAUSED;
        }
        return position_reply(s, reply);
    case LINK_RESUME:
        if (s->state != STREAM_PLAYING)
            play(s, now);
        return position_reply(s, reply);
    case LINK_SEEK:
        if (len < 12)
            return -LINK_ERR_MALFORMED;
        stream_seek(s, get_be32(p + 4), get_be32(p + 8));
        if (!stream_readahead(s, true))
            return -LINK_ERR_DISK;
        if (s->state == STREAM_PLAYING)
            play(s, now);
        else if (s->state == STREAM_DONE)
            s->state = STREAM_PAUSED;
        return position_reply(s, reply);
    default:
        return -LINK_ERR_MALFORMED;
    }
}

static void acked(uint8_t type, const uint8_t *payload, size_t len)
{
    if (type == LINK_HELLO && len >= 8)
        stream_set_ntp_offset_us((uint64_t)get_be32(payload) << 32 | get_be32(payload + 4));
}

static void stream_done(struct stream *s, bool failed)
{
    uint64_t now = clock_now_ns();
    uint8_t notice[LINK_STATS_ENTRY + 2];
    if (!failed)
        stream_send_rtcp(s, now, true);
    s->state = STREAM_DONE;
    stream_write_stats(s, now, notice);
    put_be16(notice + LINK_STATS_ENTRY, LINK_ERR_DISK);
    link_notify(failed ? LINK_FAILED : LINK_ENDED, notice, failed ? sizeof(notice) : LINK_STATS_ENTRY, now);
}

static void send_stats(uint64_t now)
{
    static uint8_t buf[LINK_PAYLOAD_MAX];
    struct sched_stats *ss = sched_get_stats();
    const struct ata_stats *as = ata_get_stats();
    unsigned total = 0;
    for (unsigned i = 0; i < STREAM_MAX; i++)
        total += streams[i].state != STREAM_FREE;
    unsigned parts = total ? (total + STATS_PER_PART - 1) / STATS_PER_PART : 1;
    unsigned i = 0;
    for (unsigned part = 0; part < parts; part++) {
        put_be32(buf, (uint32_t)(now / 1000000));
        put_be16(buf + 4, (uint16_t)sched_active());
        put_be16(buf + 6, (uint16_t)total);
        put_be16(buf + 8, STREAM_MAX);
        buf[10] = (uint8_t)part;
        buf[11] = (uint8_t)parts;
        put_be32(buf + 12, capacity_kbps);
        put_be32(buf + 16, ss->packets);
        put_be32(buf + 20, ss->misses);
        put_be32(buf + 24, ss->backlog);
        put_be32(buf + 28, ss->backlog_max);
        put_be32(buf + 32, as->reads);
        put_be32(buf + 36, as->errors);
        put_be32(buf + 40, e1000_get_stats()->tx_dropped);
        unsigned n = 0;
        for (; i < STREAM_MAX && n < STATS_PER_PART; i++) {
            if (streams[i].state == STREAM_FREE)
                continue;
            stream_write_stats(&streams[i], now, buf + STATS_HEADER + n * LINK_STATS_ENTRY);
            n++;
        }
        put_be16(buf + 44, (uint16_t)n);
        put_be16(buf + 46, 0);
        put_be32(buf + 48, link_get_stats()->commands);
        put_be32(buf + 52, link_get_stats()->duplicates);
        link_send_stats(buf, STATS_HEADER + n * LINK_STATS_ENTRY);
    }
    ss->backlog_max = 0;
}

#define POOL_BASE 0x400000u   /* the kernel image ends below 4 MiB (linker.ld) */
#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71
#define CMOS_EXTMEM2_LOW  0x34   /* RAM above 16 MiB, 64 KiB blocks (PC/AT CMOS map) */
#define CMOS_EXTMEM2_HIGH 0x35
#define CMOS_EXTMEM_LOW   0x30   /* RAM above 1 MiB, KiB */
#define CMOS_EXTMEM_HIGH  0x31

static uint8_t cmos(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

/* RAM size from the CMOS, for loaders that give no multiboot mem_upper (v86 gives a map). */
static uint32_t cmos_memory_top(void)
{
    uint32_t above16 = cmos(CMOS_EXTMEM2_LOW) | (uint32_t)cmos(CMOS_EXTMEM2_HIGH) << 8;
    if (above16)
        return 0x1000000u + above16 * 0x10000u;
    return 0x100000u + ((uint32_t)cmos(CMOS_EXTMEM_LOW) | (uint32_t)cmos(CMOS_EXTMEM_HIGH) << 8) * 1024u;
}

void delivery_start(uint32_t link_id, unsigned capacity_mbps, bool testctl, uint32_t mem_top)
{
    uint32_t need = CONTENT_POOL_BYTES + STREAM_MAX * READAHEAD_BYTES;
    if (mem_top == 0)
        mem_top = cmos_memory_top();
    if (mem_top < POOL_BASE + need) {
        kprintf("delivery: needs %u MiB of RAM above 4 MiB, have %u KiB; engine not started\n",
                need >> 20, mem_top > POOL_BASE ? (mem_top - POOL_BASE) >> 10 : 0);
        return;
    }
    uint8_t *pool = (uint8_t *)POOL_BASE;
    stream_init(pool + CONTENT_POOL_BYTES);
    test_control = testctl;
    capacity_kbps = (capacity_mbps ? capacity_mbps : DEFAULT_CAPACITY_MBPS) * 1000u;
    clock_init(pit_hz() >= 100 ? pit_hz() / 50 : 2);
    bool disk = ata_init();
    unsigned items = disk ? content_load(pool, CONTENT_POOL_BYTES) : 0;
    sched_init(stream_done);
    link_init(link_id, netif.gateway, command, acked);
    arp_request(netif.gateway);
    uint8_t mac[6];
    uint32_t t0 = pit_ticks();
    while (!arp_lookup(netif.gateway, mac) && pit_ticks() - t0 < pit_hz() / 10 + 1)
        cpu_idle();

    put_be16(hello, STREAM_MAX);
    put_be16(hello + 2, (uint16_t)pit_hz());
    put_be32(hello + 4, capacity_kbps);
    hello[8] = ata_uses_dma();
    hello[9] = (uint8_t)items;
    put_be16(hello + 10, 0);
    put_be32(hello + 12, ata_sector_count());
    memset(hello + 24, 0, 16);
    memcpy(hello + 24, BUILD_ID, strlen(BUILD_ID) < 16 ? strlen(BUILD_ID) : 16);
    uint64_t now = clock_now_ns();
    link_notify(LINK_HELLO, hello, LINK_HELLO_BYTES, now);
    next_stats_ns = now + STATS_INTERVAL_NS;
    running = true;
    kprintf("delivery: engine up: link %u, %u content items, %u stream slots, %u Mbit/s, tsc %u/ms\n",
            link_id, items, STREAM_MAX, capacity_kbps / 1000, clock_tsc_per_ms());
}

void delivery_poll(void)
{
    if (!running)
        return;
    uint64_t now = clock_now_ns();
    link_poll(now);
    if (pending_fault[0])
        fault_inject(pending_fault);   /* after its ACK went out */
    sched_run(now);
    if (now >= next_stats_ns) {
        send_stats(now);
        next_stats_ns = now + STATS_INTERVAL_NS;
    }
}

bool delivery_busy(void)
{
    return running && link_pending_input();
}
