/* IPv4 (RFC 791): header checksum checked on input and computed on output; no fragments. */
#ifndef NET_IPV4_H
#define NET_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IPV4_HLEN          20   /* we send no options */
#define IPV4_PROTO_UDP     17
#define IPV4_DEFAULT_TTL   64

/* What the transport layer needs to know about the packet that carried it. */
struct ipv4_meta {
    const uint8_t *src_mac;   /* Ethernet source: replies go straight back, no ARP lookup */
    uint32_t src_ip, dst_ip;
};

void ipv4_input(const uint8_t *src_mac, const uint8_t *pkt, size_t len);
/* frame[ETH_HLEN + IPV4_HLEN ..] holds the payload already. */
bool ipv4_send(uint8_t *frame, const uint8_t *dst_mac, uint32_t dst_ip, uint8_t protocol,
               size_t payload_len);

#endif
