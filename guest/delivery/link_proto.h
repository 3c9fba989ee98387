/* The linkage protocol between the general-purpose side (Node, the gateway 10.0.2.2) and this
 * engine: wire constants only. Specification: docs/linkage.md. Big-endian on the wire; any
 * change to a layout bumps LINK_VERSION. */
#ifndef DELIVERY_LINK_PROTO_H
#define DELIVERY_LINK_PROTO_H

#define LINK_PORT        5000     /* the engine's control port */
#define LINK_MAGIC       0x4C4B   /* "LK" */
#define LINK_VERSION     1
#define LINK_HDR         16       /* magic u16, version u8, type u8, seq u32, boot u32, len u16, flags u16 */

/* Message types. Commands (node -> engine) and notices (engine -> node) are acknowledged;
 * STATS is not (a lost report is superseded by the next). */
enum link_type {
    LINK_HELLO  = 0x01,   /* E->N at boot, until acked: capacity and engine facts */
    LINK_START  = 0x02,   /* N->E */
    LINK_STOP   = 0x03,
    LINK_PAUSE  = 0x04,
    LINK_RESUME = 0x05,
    LINK_SEEK   = 0x06,
    LINK_STATS  = 0x07,   /* E->N, periodic, unacknowledged */
    LINK_ENDED  = 0x08,   /* E->N: a stream reached its end */
    LINK_FAILED = 0x09,   /* E->N: a stream was stopped by the engine (disk error) */
    LINK_FAULT  = 0x0A,   /* N->E, test only (engine booted with testctl): crash on purpose */
    LINK_ACK    = 0x80,   /* seq = the acknowledged message's seq */
    LINK_NACK   = 0x81,
};

enum link_error {
    LINK_ERR_MALFORMED   = 1,
    LINK_ERR_NO_STREAM   = 2,
    LINK_ERR_NO_CONTENT  = 3,
    LINK_ERR_NO_CAPACITY = 4,
    LINK_ERR_EXISTS      = 5,
    LINK_ERR_BAD_ARG     = 6,
    LINK_ERR_DISK        = 7,
    LINK_ERR_FORBIDDEN   = 8,
};

#define LINK_HELLO_BYTES  40
#define LINK_HELLO_NOW_AT 16           /* u64 engine clock, microseconds */
#define LINK_NO_UNTIL    0xFFFFFFFFu   /* until_ticks: play to the end */
#define LINK_CNAME_MAX   32
#define LINK_STATS_ENTRY 76            /* bytes per stream in STATS, ENDED and STOP's ACK */
#define LINK_LATE_BUCKETS 10           /* cumulative lateness buckets, upper bounds in us: */
#define LINK_LATE_BOUNDS_US { 1000, 2000, 5000, 10000, 20000, 50000, 100000, 250000, 500000, 1000000 }

#endif
