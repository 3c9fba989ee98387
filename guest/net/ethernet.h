/* Ethernet II framing. Outgoing frames are built back to front in one buffer: each layer
 * writes its payload at its header's end, then asks the layer below to add its header. */
#ifndef NET_ETHERNET_H
#define NET_ETHERNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_ALEN       6
#define ETH_HLEN       14
#define ETH_MTU        1500
#define ETH_FRAME_MAX  (ETH_HLEN + ETH_MTU)   /* without FCS, which the NIC adds */
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806

extern const uint8_t eth_broadcast[ETH_ALEN];

void eth_input(const uint8_t *frame, size_t len);
/* frame[ETH_HLEN..ETH_HLEN+payload_len) holds the payload already. */
bool eth_send(uint8_t *frame, const uint8_t dst[ETH_ALEN], uint16_t ethertype, size_t payload_len);

#endif
