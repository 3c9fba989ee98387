#include "net/ipv4.h"

#include "net/bytes.h"
#include "net/checksum.h"
#include "net/ethernet.h"
#include "net/netif.h"
#include "net/udp.h"

#define IPV4_VERSION      4
#define IPV4_FLAG_DF      0x4000
#define IPV4_FLAG_MF      0x2000
#define IPV4_FRAG_OFFSET  0x1FFF

static uint16_t next_id;

void ipv4_input(const uint8_t *src_mac, const uint8_t *p, size_t len)
{
    if (len < IPV4_HLEN || (p[0] >> 4) != IPV4_VERSION) {
        net_drop("ipv4: truncated or not version 4");
        return;
    }
    size_t hlen = (size_t)(p[0] & 0x0F) * 4;
    size_t total = get_be16(p + 2);
    /* total may be shorter than len: short frames are padded to the Ethernet minimum. */
    if (hlen < IPV4_HLEN || hlen > len || total < hlen || total > len) {
        net_drop("ipv4: bad header or total length");
        return;
    }
    if (checksum_finish(checksum_add(0, p, hlen)) != 0) {
        net_drop("ipv4: bad header checksum");
        return;
    }
    if (get_be16(p + 6) & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET)) {
        net_drop("ipv4: fragment");
        return;
    }
    struct ipv4_meta m = { src_mac, get_be32(p + 12), get_be32(p + 16) };
    if (m.dst_ip != netif.ip) {
        net_drop("ipv4: not our address");
        return;
    }
    if (p[9] == IPV4_PROTO_UDP)
        udp_input(&m, p + hlen, total - hlen);
    else
        net_drop("ipv4: unsupported protocol");
}

bool ipv4_send(uint8_t *frame, const uint8_t *dst_mac, uint32_t dst_ip, uint8_t protocol,
               size_t payload_len)
{
    uint8_t *h = frame + ETH_HLEN;
    size_t total = IPV4_HLEN + payload_len;
    h[0] = IPV4_VERSION << 4 | IPV4_HLEN / 4;
    h[1] = 0;   /* DSCP/ECN */
    put_be16(h + 2, total);
    put_be16(h + 4, next_id++);
    put_be16(h + 6, IPV4_FLAG_DF);
    h[8] = IPV4_DEFAULT_TTL;
    h[9] = protocol;
    put_be16(h + 10, 0);
    put_be32(h + 12, netif.ip);
    put_be32(h + 16, dst_ip);
    put_be16(h + 10, checksum_finish(checksum_add(0, h, IPV4_HLEN)));
    return eth_send(frame, dst_mac, ETHERTYPE_IPV4, total);
}
