#include "delivery/stream.h"

#include "delivery/ata.h"
#include "delivery/rtp.h"
#include "lib/string.h"
#include "net/bytes.h"
#include "net/ethernet.h"
#include "net/ipv4.h"
#include "net/udp.h"

#define RTP_SRC_PORT  6970   /* the engine's own ports; the gateway sends from the server's pair */
#define RTCP_SRC_PORT 6971
#define NS_PER_TICK_NUM 100000u   /* 1e9 / 90000 = 100000 / 9 */
#define NS_PER_TICK_DEN 9u

struct stream streams[STREAM_MAX];
static uint8_t *readahead;   /* STREAM_MAX x READAHEAD_BYTES, above the kernel image */

void stream_init(uint8_t *pool)
{
    readahead = pool;
}
static uint8_t frame[ETH_FRAME_MAX] __attribute__((aligned(4)));
static uint8_t gw_mac[6];
static uint64_t ntp_offset_us;   /* NTP-epoch microseconds at engine time 0 */
static const uint32_t late_bounds_us[LINK_LATE_BUCKETS] = LINK_LATE_BOUNDS_US;

void stream_set_ntp_offset_us(uint64_t offset) { ntp_offset_us = offset; }
void stream_set_gateway_mac(const uint8_t mac[6]) { memcpy(gw_mac, mac, 6); }

struct stream *stream_find(uint32_t id)
{
    for (unsigned i = 0; i < STREAM_MAX; i++)
        if (streams[i].state != STREAM_FREE && streams[i].id == id)
            return &streams[i];
    return 0;
}

struct stream *stream_alloc(void)
{
    for (unsigned i = 0; i < STREAM_MAX; i++) {
        if (streams[i].state == STREAM_FREE) {
            struct stream *s = &streams[i];
            memset(s, 0, sizeof(*s));
            s->buf = readahead + i * READAHEAD_BYTES;
            s->heap_pos = -1;
            s->state = STREAM_PAUSED;
            return s;
        }
    }
    return 0;
}

void stream_free(struct stream *s)
{
    s->state = STREAM_FREE;
}

static uint32_t record_ticks(const struct stream *s, uint32_t i)
{
    return i < s->c->record_count ? s->c->records[i].send_ticks : s->c->duration_ticks;
}

void stream_seek(struct stream *s, uint32_t to_ticks, uint32_t until_ticks)
{
    s->next = content_seek(s->c, to_ticks);
    s->end = until_ticks == LINK_NO_UNTIL ? s->c->record_count : content_until(s->c, s->next, until_ticks);
    if (s->end > s->c->record_count)
        s->end = s->c->record_count;
    s->buf_off = s->c->records[s->next].offset_lo & ~(uint32_t)(ATA_SECTOR - 1);
    s->buf_len = 0;
}

struct position stream_position(const struct stream *s)
{
    uint32_t t = record_ticks(s, s->next);
    return (struct position){ s->seq, s->rtp_base + t, t };
}

uint32_t stream_play_ticks(const struct stream *s, uint64_t now)
{
    if (s->state != STREAM_PLAYING)
        return record_ticks(s, s->next);
    uint64_t t = s->anchor_ticks + (now - s->anchor_ns) * NS_PER_TICK_DEN / NS_PER_TICK_NUM;
    return t > s->c->duration_ticks ? s->c->duration_ticks : (uint32_t)t;
}

uint64_t stream_due(const struct stream *s)
{
    uint32_t dt = s->c->records[s->next].send_ticks - s->anchor_ticks;
    return s->anchor_ns + (uint64_t)dt * NS_PER_TICK_NUM / NS_PER_TICK_DEN;
}

bool stream_readahead(struct stream *s, bool force)
{
    const struct hint_record *r = &s->c->records[s->next < s->c->record_count ? s->next : s->c->record_count - 1];
    uint32_t want = r->offset_lo;
    uint32_t media_end = s->c->media_bytes;
    uint32_t have_end = s->buf_off + s->buf_len;
    if (!force && (have_end >= media_end || (want >= s->buf_off && have_end - want >= READAHEAD_LOW)))
        return true;
    /* Slide: keep from the sector holding the next record's first byte. */
    uint32_t keep_from = want & ~(uint32_t)(ATA_SECTOR - 1);
    if (keep_from >= s->buf_off && keep_from < have_end) {
        uint32_t shift = keep_from - s->buf_off;
        memmove(s->buf, s->buf + shift, s->buf_len - shift);
        s->buf_len -= shift;
        s->buf_off = keep_from;
    } else {
        s->buf_off = keep_from;
        s->buf_len = 0;
    }
    uint32_t room = (READAHEAD_BYTES - s->buf_len) / ATA_SECTOR;
    uint32_t pos = s->buf_off + s->buf_len;   /* always sector-aligned */
    uint32_t left = media_end > pos ? (media_end - pos + ATA_SECTOR - 1) / ATA_SECTOR : 0;
    uint32_t n = room < left ? room : left;
    if (n > ATA_MAX_SECTORS_PER_READ)
        n = ATA_MAX_SECTORS_PER_READ;
    if (n == 0)
        return true;
    if (!ata_read(s->c->media_lba + pos / ATA_SECTOR, n, s->buf + s->buf_len))
        return false;
    s->buf_len += n * ATA_SECTOR;
    return true;
}

/* UDP (checksum 0: optional over IPv4, RFC 768) to the stream's client via the gateway. */
static bool send_udp(const struct stream *s, uint16_t src_port, uint16_t dst_port, size_t len)
{
    uint8_t *u = frame + ETH_HLEN + IPV4_HLEN;
    put_be16(u, src_port);
    put_be16(u + 2, dst_port);
    put_be16(u + 4, (uint16_t)(UDP_HLEN + len));
    put_be16(u + 6, 0);
    return ipv4_send(frame, gw_mac, s->dst_ip, IPV4_PROTO_UDP, UDP_HLEN + len);
}

static uint8_t *udp_payload(void)
{
    return frame + ETH_HLEN + IPV4_HLEN + UDP_HLEN;
}

static void count_lateness(struct stream *s, uint64_t late_ns)
{
    uint32_t us = late_ns > 4000000000ull ? 4000000000u : (uint32_t)(late_ns / 1000);
    s->late_sum_us += us;
    if (us > s->late_max_us)
        s->late_max_us = us;
    if (late_ns > DEADLINE_NS)
        s->misses++;
    for (unsigned i = 0; i < LINK_LATE_BUCKETS; i++)
        if (us <= late_bounds_us[i])
            s->late_buckets[i]++;
}

void stream_send_rtcp(struct stream *s, uint64_t now, bool final)
{
    uint64_t us = ntp_offset_us + now / 1000;
    uint64_t ntp = (us / 1000000) << 32 | ((us % 1000000) << 32) / 1000000;
    uint32_t ticks = stream_play_ticks(s, now);
    uint8_t *p = udp_payload();
    size_t n = rtcp_sr(p, s->ssrc, ntp, s->rtp_base + ticks, s->packets, s->payload_octets);
    n += rtcp_sdes_cname(p + n, s->ssrc, s->cname);
    if (final)
        n += rtcp_bye(p + n, s->ssrc);
    s->rtcp++;
    s->last_sr_ns = now;
    s->sr_sent = true;
    send_udp(s, RTCP_SRC_PORT, s->rtcp_port, n);
}

bool stream_send_next(struct stream *s, uint64_t now)
{
    const struct hint_record *r = &s->c->records[s->next];
    uint32_t off = r->offset_lo, len = r->length;
    if (off < s->buf_off || off + len > s->buf_off + s->buf_len) {
        s->stalls++;   /* read-ahead fell behind: read now, on the send path */
        if (!stream_readahead(s, true) || off < s->buf_off || off + len > s->buf_off + s->buf_len)
            return false;
    }
    if (!s->sr_sent || now - s->last_sr_ns >= SR_INTERVAL_NS)
        stream_send_rtcp(s, now, false);
    uint64_t due = stream_due(s);
    uint8_t *p = udp_payload();
    size_t h = rtp_header(p, s->c->payload_type, s->seq, s->rtp_base + r->send_ticks, s->ssrc);
    memcpy(p + h, s->buf + (off - s->buf_off), len);
    if (send_udp(s, RTP_SRC_PORT, s->rtp_port, h + len)) {
        s->packets++;
        s->bytes += h + len;
        s->payload_octets += len;
    }
    count_lateness(s, now > due ? now - due : 0);
    s->seq++;
    s->next++;
    return true;
}

void stream_write_stats(const struct stream *s, uint64_t now, uint8_t *p)
{
    put_be32(p, s->id);
    put_be32(p + 4, s->packets);
    put_be32(p + 8, s->bytes);
    put_be32(p + 12, s->rtcp);
    put_be32(p + 16, stream_play_ticks(s, now));
    put_be32(p + 20, s->late_sum_us);
    put_be32(p + 24, s->late_max_us);
    put_be32(p + 28, s->misses);
    p[32] = s->state;
    p[33] = 0;
    put_be16(p + 34, (uint16_t)(s->stalls > 0xFFFF ? 0xFFFF : s->stalls));
    for (unsigned i = 0; i < LINK_LATE_BUCKETS; i++)
        put_be32(p + 36 + 4 * i, s->late_buckets[i]);
}
