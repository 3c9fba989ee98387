#include "net/udp.h"

#include "lib/string.h"
#include "net/bytes.h"
#include "net/checksum.h"
#include "net/netif.h"

struct udp_binding {
    uint16_t port;
    udp_service_t service;
};

static struct udp_binding bindings[UDP_MAX_SERVICES];
static unsigned nbindings;

bool udp_listen(uint16_t port, udp_service_t service)
{
    if (nbindings == UDP_MAX_SERVICES)
        return false;
    bindings[nbindings++] = (struct udp_binding){ port, service };
    return true;
}

void udp_input(const struct ipv4_meta *ip, const uint8_t *seg, size_t len)
{
    if (len < UDP_HLEN) {
        net_drop("udp: truncated header");
        return;
    }
    size_t ulen = get_be16(seg + 4);
    if (ulen < UDP_HLEN || ulen > len) {
        net_drop("udp: bad length");
        return;
    }
    /* A zero checksum means the sender did not compute one (RFC 768). */
    if (get_be16(seg + 6) != 0) {
        uint32_t sum = checksum_pseudo_header(ip->src_ip, ip->dst_ip, IPV4_PROTO_UDP, ulen);
        if (checksum_finish(checksum_add(sum, seg, ulen)) != 0) {
            net_drop("udp: bad checksum");
            return;
        }
    }
    struct udp_datagram d = {
        .ip = ip,
        .src_port = get_be16(seg),
        .dst_port = get_be16(seg + 2),
        .payload = seg + UDP_HLEN,
        .len = ulen - UDP_HLEN,
    };
    for (unsigned i = 0; i < nbindings; i++) {
        if (bindings[i].port == d.dst_port) {
            bindings[i].service(&d);
            return;
        }
    }
    net_drop("udp: no service on port");
}

bool udp_send(const uint8_t *dst_mac, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
              const void *payload, size_t len)
{
    if (len > UDP_PAYLOAD_MAX)
        return false;
    uint8_t frame[ETH_FRAME_MAX];
    uint8_t *u = frame + ETH_HLEN + IPV4_HLEN;
    size_t ulen = UDP_HLEN + len;
    put_be16(u, src_port);
    put_be16(u + 2, dst_port);
    put_be16(u + 4, ulen);
    put_be16(u + 6, 0);
    memcpy(u + UDP_HLEN, payload, len);
    uint32_t sum = checksum_pseudo_header(netif.ip, dst_ip, IPV4_PROTO_UDP, ulen);
    uint16_t csum = checksum_finish(checksum_add(sum, u, ulen));
    put_be16(u + 6, csum == 0 ? 0xFFFF : csum);   /* 0 would mean "no checksum" */
    return ipv4_send(frame, dst_mac, dst_ip, IPV4_PROTO_UDP, ulen);
}

bool udp_reply(const struct udp_datagram *d, const void *payload, size_t len)
{
    return udp_send(d->ip->src_mac, d->ip->src_ip, d->dst_port, d->src_port, payload, len);
}
