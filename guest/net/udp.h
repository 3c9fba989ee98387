/* UDP (RFC 768): pseudo-header checksum verified when present, always computed on output. */
#ifndef NET_UDP_H
#define NET_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/ethernet.h"
#include "net/ipv4.h"

#define UDP_HLEN 8
#define UDP_PAYLOAD_MAX (ETH_MTU - IPV4_HLEN - UDP_HLEN)   /* 1472 */
#define UDP_MAX_SERVICES 4

struct udp_datagram {
    const struct ipv4_meta *ip;
    uint16_t src_port, dst_port;
    const uint8_t *payload;
    size_t len;
};

typedef void (*udp_service_t)(const struct udp_datagram *d);

void udp_input(const struct ipv4_meta *ip, const uint8_t *seg, size_t len);
bool udp_listen(uint16_t port, udp_service_t service);
bool udp_send(const uint8_t *dst_mac, uint32_t dst_ip, uint16_t src_port, uint16_t dst_port,
              const void *payload, size_t len);
/* Send payload back to where d came from (source MAC, address and port). */
bool udp_reply(const struct udp_datagram *d, const void *payload, size_t len);

#endif
