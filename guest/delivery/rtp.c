#include "delivery/rtp.h"

#include "lib/string.h"
#include "net/bytes.h"

size_t rtp_header(uint8_t *p, uint8_t payload_type, uint16_t seq, uint32_t timestamp, uint32_t ssrc)
{
    p[0] = RTP_VERSION << 6;     /* no padding, no extension, no CSRCs */
    p[1] = payload_type & 0x7F;  /* marker 0: MP2T has no frame boundaries (RFC 2250 2.1) */
    put_be16(p + 2, seq);
    put_be32(p + 4, timestamp);
    put_be32(p + 8, ssrc);
    return RTP_HLEN;
}

static void rtcp_common(uint8_t *p, uint8_t count, uint8_t pt, size_t bytes)
{
    p[0] = RTP_VERSION << 6 | count;
    p[1] = pt;
    put_be16(p + 2, (uint16_t)(bytes / 4 - 1));   /* length in 32-bit words minus one */
}

size_t rtcp_sr(uint8_t *p, uint32_t ssrc, uint64_t ntp, uint32_t rtp_time, uint32_t packets, uint32_t octets)
{
    rtcp_common(p, 0, RTCP_PT_SR, 28);
    put_be32(p + 4, ssrc);
    put_be32(p + 8, (uint32_t)(ntp >> 32));
    put_be32(p + 12, (uint32_t)ntp);
    put_be32(p + 16, rtp_time);
    put_be32(p + 20, packets);
    put_be32(p + 24, octets);
    return 28;
}

size_t rtcp_sdes_cname(uint8_t *p, uint32_t ssrc, const char *cname)
{
    size_t n = strlen(cname);
    if (n > 255)
        n = 255;
    size_t bytes = (8 + 2 + n + 1 + 3) & ~(size_t)3;   /* header, SSRC, item, END, pad to 32 bits */
    memset(p, 0, bytes);
    rtcp_common(p, 1, RTCP_PT_SDES, bytes);
    put_be32(p + 4, ssrc);
    p[8] = RTCP_SDES_CNAME;
    p[9] = (uint8_t)n;
    memcpy(p + 10, cname, n);
    return bytes;
}

size_t rtcp_bye(uint8_t *p, uint32_t ssrc)
{
    rtcp_common(p, 1, RTCP_PT_BYE, 8);
    put_be32(p + 4, ssrc);
    return 8;
}
