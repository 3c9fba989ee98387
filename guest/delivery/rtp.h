/* RTP (RFC 3550 section 5.1) and RTCP SR, SDES CNAME and BYE (sections 6.4.1, 6.5, 6.6)
 * packet builders. Each returns the bytes written. */
#ifndef DELIVERY_RTP_H
#define DELIVERY_RTP_H

#include <stddef.h>
#include <stdint.h>

#define RTP_HLEN    12
#define RTP_VERSION 2
#define RTCP_PT_SR   200
#define RTCP_PT_SDES 202
#define RTCP_PT_BYE  203
#define RTCP_SDES_CNAME 1

size_t rtp_header(uint8_t *p, uint8_t payload_type, uint16_t seq, uint32_t timestamp, uint32_t ssrc);
/* ntp: 32.32 fixed point seconds since 1900; counts as RFC 3550 6.4.1 defines them. */
size_t rtcp_sr(uint8_t *p, uint32_t ssrc, uint64_t ntp, uint32_t rtp_time, uint32_t packets, uint32_t octets);
size_t rtcp_sdes_cname(uint8_t *p, uint32_t ssrc, const char *cname);
size_t rtcp_bye(uint8_t *p, uint32_t ssrc);

#endif
