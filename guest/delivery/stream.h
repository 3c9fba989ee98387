/* One delivery stream: where it goes, where it is in its content's hint index, its play-clock
 * anchor, its read-ahead buffer and its counters. The scheduler (sched.c) decides when; this
 * file does the work: refill from disk, packetize, send. */
#ifndef DELIVERY_STREAM_H
#define DELIVERY_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "delivery/content.h"
#include "delivery/link_proto.h"

#define STREAM_MAX       512     /* 16 MiB of read-ahead: the pool ends at 24 MiB, in the engine's 32 MiB */
#define READAHEAD_BYTES  32768   /* per stream: ~0.25 s of 1 Mbit/s */
#define READAHEAD_LOW    16384   /* refill when less than this is buffered ahead */
#define DEADLINE_NS      5000000ull   /* a packet sent later than this is a deadline miss */
#define SR_INTERVAL_NS   5000000000ull

enum stream_state { STREAM_FREE, STREAM_PAUSED, STREAM_PLAYING, STREAM_DONE };

struct stream {
    uint8_t state;
    uint32_t id;
    const struct content *c;
    uint32_t dst_ip;
    uint16_t rtp_port, rtcp_port;
    uint32_t ssrc;
    uint16_t seq;
    uint32_t rtp_base;
    char cname[LINK_CNAME_MAX + 1];
    uint32_t next, end;        /* next record to send; one past the last */
    uint64_t anchor_ns;        /* play clock: records[..].send_ticks == anchor_ticks at anchor_ns */
    uint32_t anchor_ticks;
    uint64_t due_ns;
    int heap_pos;              /* -1 when not scheduled */
    uint64_t last_sr_ns;
    bool sr_sent;
    uint8_t *buf;              /* media bytes [buf_off, buf_off + buf_len) */
    uint32_t buf_off, buf_len;
    /* counters, reported in STATS */
    uint32_t packets, bytes, payload_octets, rtcp;
    uint32_t late_sum_us, late_max_us, misses, stalls;
    uint32_t late_buckets[LINK_LATE_BUCKETS];
};

struct position {
    uint16_t seq;
    uint32_t rtptime;
    uint32_t ticks;
};

extern struct stream streams[STREAM_MAX];

/* pool: STREAM_MAX * READAHEAD_BYTES bytes for the read-ahead buffers. */
void stream_init(uint8_t *pool);
struct stream *stream_find(uint32_t id);
struct stream *stream_alloc(void);
void stream_free(struct stream *s);
void stream_seek(struct stream *s, uint32_t to_ticks, uint32_t until_ticks);
struct position stream_position(const struct stream *s);
uint32_t stream_play_ticks(const struct stream *s, uint64_t now);
/* Due time of the next record on the current anchor. */
uint64_t stream_due(const struct stream *s);
/* Sends the next packet (refilling first if its bytes are not buffered); false on disk error. */
bool stream_send_next(struct stream *s, uint64_t now);
/* Sends SR + SDES (+ BYE when final). */
void stream_send_rtcp(struct stream *s, uint64_t now, bool final);
/* Refills the read-ahead buffer if less than READAHEAD_LOW is buffered; false on disk error. */
bool stream_readahead(struct stream *s, bool force);
/* Writes the LINK_STATS_ENTRY-byte stats entry. */
void stream_write_stats(const struct stream *s, uint64_t now, uint8_t *p);
/* Engine-wide: the NTP time (32.32) of engine time now, once the node has told the offset. */
void stream_set_ntp_offset_us(uint64_t offset);
/* Where RTP/RTCP frames go on the wire: the gateway's MAC. */
void stream_set_gateway_mac(const uint8_t mac[6]);

#endif
